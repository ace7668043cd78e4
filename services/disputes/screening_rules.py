"""Screening rules as data (no FastAPI here): validation with the field and the reason, the
stored versions with who/when/why, and the preview of a proposed set over recent cases."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import Case, CaseHousehold, ScreeningRulesVersion
from shared.contracts.times import UTCDateTime
from workflows.disputes.rule_versions import FILE_VERSION, latest_version
from workflows.disputes.screening import FACTS, RuleSet, grade
from workflows.disputes.types import RiskFacts

COLOURS = ("red", "yellow", "green")
RULE_ID = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
YES_NO_FACTS = sorted(f for f, info in RiskFacts.model_fields.items() if info.annotation is bool)
NUMBER_FACTS = sorted(FACTS - set(YES_NO_FACTS))
MAX_RULES = 200
MAX_NUMBER = 10_000
CHANGED_SHOWN = 50
CHUNK = 500


class Problem(BaseModel):
    field: str
    reason: str


class RulesVersionRead(BaseModel):
    version: int
    rules: RuleSet
    author_id: str | None = None
    reason: str | None = None
    created_at: UTCDateTime | None = None


class ColourCounts(BaseModel):
    red: int = 0
    yellow: int = 0
    green: int = 0


class ChangedCase(BaseModel):
    case_id: str
    case_no: str
    reported_at: datetime
    current: str
    proposed: str
    rules_fired: list[str]


class PreviewRead(BaseModel):
    since: datetime
    until: datetime
    cases: int
    current_version: int
    current: ColourCounts
    proposed: ColourCounts
    changed_total: int
    changed: list[ChangedCase]


class Invalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


def _check_when(at: str, when: Any) -> Iterator[Problem]:
    if not isinstance(when, dict):
        yield Problem(field=at, reason="a condition names a fact and one of equals or gte")
        return
    for key in sorted(set(when) - {"fact", "equals", "gte"}):
        yield Problem(field=f"{at}.{key}", reason=f"unknown field {key}")
    fact = when.get("fact")
    if fact not in FACTS:
        yield Problem(field=f"{at}.fact", reason=f"unknown fact {fact}")
        return
    ops = [k for k in ("equals", "gte") if when.get(k) is not None]
    if len(ops) != 1:
        yield Problem(field=at, reason="give exactly one of equals and gte")
        return
    value = when[ops[0]]
    if fact in YES_NO_FACTS:
        if ops[0] != "equals" or not isinstance(value, bool):
            yield Problem(field=f"{at}.{ops[0]}", reason="a yes/no fact takes equals true or false")
    elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMBER:
        yield Problem(
            field=f"{at}.{ops[0]}",
            reason=f"a number fact takes a whole number from 0 to {MAX_NUMBER}",
        )


def _check_rule(at: str, rule: Any, seen: set[str]) -> Iterator[Problem]:
    if not isinstance(rule, dict):
        yield Problem(field=at, reason="a rule has an id, a colour, a label and a condition")
        return
    for key in sorted(set(rule) - {"id", "colour", "label", "label_zh", "when"}):
        yield Problem(field=f"{at}.{key}", reason=f"unknown field {key}")
    rule_id = rule.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        yield Problem(
            field=f"{at}.id",
            reason="an id is 2 to 48 lower-case letters, digits or _, starting with a letter",
        )
    elif rule_id in seen:
        yield Problem(field=f"{at}.id", reason=f"the id {rule_id} is used by another rule")
    else:
        seen.add(rule_id)
    if rule.get("colour") not in COLOURS:
        yield Problem(field=f"{at}.colour", reason="the colour is red, yellow or green")
    for key, required in (("label", True), ("label_zh", False)):
        label = rule.get(key, "")
        if not isinstance(label, str) or len(label.strip()) > 120 or (required and not label):
            yield Problem(field=f"{at}.{key}", reason="a label has 1 to 120 characters")
    yield from _check_when(f"{at}.when", rule.get("when"))


def check_rules(raw: Any) -> RuleSet:
    """The rule set, or Invalid with every problem (field path and reason)."""
    if not isinstance(raw, dict):
        raise Invalid([Problem(field="rules", reason="send an object with default and rules")])
    problems: list[Problem] = []
    for key in sorted(set(raw) - {"default", "rules"}):
        problems.append(Problem(field=key, reason=f"unknown field {key}"))
    if raw.get("default", "green") not in COLOURS:
        problems.append(Problem(field="default", reason="the colour is red, yellow or green"))
    rules = raw.get("rules")
    if not isinstance(rules, list) or not rules or len(rules) > MAX_RULES:
        problems.append(Problem(field="rules", reason=f"give 1 to {MAX_RULES} rules"))
        rules = []
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        problems.extend(_check_rule(f"rules.{i}", rule, seen))
    if problems:
        raise Invalid(problems)
    return RuleSet.model_validate(
        {
            "default": raw.get("default", "green"),
            "rules": [
                {**r, "label": r["label"].strip(), "label_zh": r.get("label_zh", "").strip()}
                for r in rules
            ],
        }
    )


def check_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 500:
        raise Invalid(
            [Problem(field="reason", reason="say why the rules change (5 to 500 characters)")]
        )
    return reason.strip()


def _read(row: ScreeningRulesVersion) -> RulesVersionRead:
    return RulesVersionRead(
        version=row.version,
        rules=RuleSet.model_validate(row.rules),
        author_id=row.author_id,
        reason=row.reason,
        created_at=row.created_at,
    )


async def version(session: AsyncSession, number: int, file_rules: RuleSet) -> RulesVersionRead:
    if number == FILE_VERSION:
        return RulesVersionRead(version=FILE_VERSION, rules=file_rules)
    row = await session.get(ScreeningRulesVersion, number)
    if row is None:
        raise LookupError(number)
    return _read(row)


async def current(session: AsyncSession, file_rules: RuleSet) -> RulesVersionRead:
    return await version(session, await latest_version(session), file_rules)


async def versions(session: AsyncSession, file_rules: RuleSet) -> list[RulesVersionRead]:
    """Newest first; the installation's file is the oldest, version 0."""
    rows = await session.execute(
        select(ScreeningRulesVersion).order_by(ScreeningRulesVersion.version.desc())
    )
    return [*map(_read, rows.scalars()), RulesVersionRead(version=FILE_VERSION, rules=file_rules)]


async def save(
    session: AsyncSession, *, rules: RuleSet, author_id: str, reason: str, now: datetime
) -> RulesVersionRead:
    """A new version, in force for cases registered from now on. Two saves at once: the
    second fails on the primary key and the caller answers 409."""
    row = ScreeningRulesVersion(
        version=await latest_version(session) + 1,
        rules=rules.model_dump(),
        author_id=author_id,
        reason=reason,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _read(row)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def _household_counts(
    session: AsyncSession, cases: list[tuple[str, datetime]], days: int
) -> dict[str, int]:
    """Per case: other cases of its households reported in the `days` before it (what the
    intake screening counted when the case came in)."""
    if not cases:
        return {}
    ids = [c for c, _ in cases]
    households: dict[str, set[str]] = defaultdict(set)
    for part in _chunks(ids):
        for case_id, hh in await session.execute(
            select(CaseHousehold.case_id, CaseHousehold.household_id).where(
                CaseHousehold.case_id.in_(part)
            )
        ):
            households[case_id].add(hh)
    all_hh = sorted({h for hs in households.values() for h in hs})
    earliest = min(t for _, t in cases) - timedelta(days=days)
    by_household: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for part in _chunks(all_hh):
        for hh, other, at in await session.execute(
            select(CaseHousehold.household_id, Case.case_id, Case.reported_at)
            .join(Case, Case.case_id == CaseHousehold.case_id)
            .where(CaseHousehold.household_id.in_(part), Case.reported_at >= earliest)
        ):
            by_household[hh].append((other, _aware(at)))
    out: dict[str, int] = {}
    for case_id, at in cases:
        since = at - timedelta(days=days)
        others = {
            o
            for hh in households.get(case_id, ())
            for o, t in by_household[hh]
            if o != case_id and since <= t < at
        }
        out[case_id] = len(others)
    return out


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _count(counts: ColourCounts, colour: Literal["red", "yellow", "green"]) -> None:
    setattr(counts, colour, getattr(counts, colour) + 1)


async def preview(
    session: AsyncSession,
    *,
    proposed: RuleSet,
    file_rules: RuleSet,
    since: datetime,
    until: datetime,
    household_days: int,
) -> PreviewRead:
    """How the cases reported in [since, until) would be graded by the rules in force and by
    the proposed ones, on the facts they came in with."""
    in_force = await current(session, file_rules)
    rows = list(
        await session.execute(
            select(Case.case_id, Case.case_no, Case.reported_at, Case.risk)
            .where(Case.reported_at >= since, Case.reported_at < until)
            .order_by(Case.reported_at, Case.case_id)
        )
    )
    counts = await _household_counts(
        session, [(r.case_id, _aware(r.reported_at)) for r in rows], household_days
    )
    now_counts, new_counts = ColourCounts(), ColourCounts()
    changed: list[ChangedCase] = []
    for r in rows:
        risk = RiskFacts.model_validate(r.risk)
        before = grade(in_force.rules, risk, counts[r.case_id])
        after = grade(proposed, risk, counts[r.case_id])
        _count(now_counts, before.colour)
        _count(new_counts, after.colour)
        if before.colour != after.colour:
            changed.append(
                ChangedCase(
                    case_id=r.case_id,
                    case_no=r.case_no,
                    reported_at=_aware(r.reported_at),
                    current=before.colour,
                    proposed=after.colour,
                    rules_fired=after.rules_fired,
                )
            )
    return PreviewRead(
        since=since,
        until=until,
        cases=len(rows),
        current_version=in_force.version,
        current=now_counts,
        proposed=new_counts,
        changed_total=len(changed),
        changed=changed[:CHANGED_SHOWN],
    )
