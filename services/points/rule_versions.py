"""Earning rules as data (no FastAPI here): validation with the field and the reason, the stored
versions with who/when/why, and the rules in force for an award being made now.

Version 0 is the installation's file; a saved version replaces the file's earning amounts for
what is awarded after it is saved (a dispute event consumed, a patrol co-signed, a tip rated),
never for what was awarded before. Each award keeps its version in `entries.rules_version`.
The version also sets how long a redemption held from then on waits for the hand-over (its
deadline is stored on the redemption), and how long points earned from then on last: an award
expires after its own version's period (`entries.rules_version`), another credit (an
adjustment) after the period of the version in force when it was made.
The process keeps the rules in force (`RulesInForce`), so an award reads no version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.expiry import ExpiryPeriod
from services.points.models import RulesVersion
from services.points.rules import EARNING, SETTINGS, VERSIONED, Rules
from shared.contracts.points_rules import (
    MAX_EXPIRY_DAYS,
    MAX_HOLD_MINUTES,
    MAX_POINTS,
    EarningRules,
    PointsRulesVersionRead,
    TipPoints,
)

FILE_VERSION = 0
AMOUNTS = [f for f in EARNING if f != "tip_points"]
RATINGS = list(TipPoints.model_fields)


class Problem(BaseModel):
    field: str
    reason: str


class Invalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


def _amount(at: str, value: Any) -> Iterator[Problem]:
    # bool is an int in Python: `true` is not a number of points
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
        yield Problem(field=at, reason=f"points are a whole number from 0 to {MAX_POINTS}")


def _whole(value: Any, low: int, top: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= top


def _settings(raw: dict[str, Any], in_force: EarningRules | None) -> Iterator[Problem]:
    """The hold and the expiry; a setting left out takes the value in force."""
    for name in SETTINGS:
        if raw.get(name) is None and in_force is not None:
            raw[name] = getattr(in_force, name)
    hold = raw.get("redemption_hold_minutes")
    if hold is not None and not _whole(hold, 1, MAX_HOLD_MINUTES):
        yield Problem(
            field="redemption_hold_minutes",
            reason=f"a hold waits a whole number of minutes from 1 to {MAX_HOLD_MINUTES}",
        )
    days = raw.get("expiry_days")
    if days is not None and not _whole(days, 0, MAX_EXPIRY_DAYS):
        yield Problem(
            field="expiry_days",
            reason=f"points last a whole number of days from 0 (never expire) to {MAX_EXPIRY_DAYS}",
        )


def _unknown(at: str, raw: dict[str, Any], known: list[str]) -> Iterator[Problem]:
    for key in sorted(set(raw) - set(known)):
        yield Problem(field=f"{at}{key}", reason=f"unknown field {key}")


def check_rules(raw: Any, in_force: EarningRules | None = None) -> EarningRules:
    """The rule set, or Invalid with every problem (field path and reason). The hold and the
    expiry period left out take their values in `in_force`."""
    if not isinstance(raw, dict):
        raise Invalid([Problem(field="rules", reason="send an object with the earning amounts")])
    raw = dict(raw)
    problems = list(_unknown("", raw, list(VERSIONED)))
    for name in AMOUNTS:
        if name not in raw:
            problems.append(Problem(field=name, reason="give the points for this"))
        else:
            problems.extend(_amount(name, raw[name]))
    tips = raw.get("tip_points")
    if not isinstance(tips, dict):
        problems.append(
            Problem(field="tip_points", reason="give the points for each rating of a tip")
        )
    else:
        problems.extend(_unknown("tip_points.", tips, RATINGS))
        for rating in RATINGS:
            if rating not in tips:
                problems.append(
                    Problem(field=f"tip_points.{rating}", reason="give the points for this")
                )
            else:
                problems.extend(_amount(f"tip_points.{rating}", tips[rating]))
    problems.extend(_settings(raw, in_force))
    if problems:
        raise Invalid(problems)
    return EarningRules.model_validate(raw)


def check_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 500:
        raise Invalid(
            [Problem(field="reason", reason="say why the rules change (5 to 500 characters)")]
        )
    return reason.strip()


def earning_of(rules: Rules) -> EarningRules:
    return EarningRules.model_validate(rules.earning())


def _read(row: RulesVersion, file_rules: Rules | None) -> PointsRulesVersionRead:
    """A version saved before the hold and the expiry were versioned has the file's."""
    settings = file_rules.model_dump(include=set(SETTINGS)) if file_rules else {}
    stored = {k: v for k, v in row.rules.items() if v is not None}
    return PointsRulesVersionRead(
        version=row.version,
        rules=EarningRules.model_validate({**settings, **stored}),
        author_id=row.author_id,
        reason=row.reason,
        created_at=row.created_at,
    )


async def latest_version(session: AsyncSession) -> int:
    found = await session.scalar(select(func.max(RulesVersion.version)))
    return int(found or FILE_VERSION)


async def version(session: AsyncSession, number: int, file_rules: Rules) -> PointsRulesVersionRead:
    if number == FILE_VERSION:
        return PointsRulesVersionRead(version=FILE_VERSION, rules=earning_of(file_rules))
    row = await session.get(RulesVersion, number)
    if row is None:
        raise LookupError(number)
    return _read(row, file_rules)


async def current(session: AsyncSession, file_rules: Rules) -> PointsRulesVersionRead:
    return await version(session, await latest_version(session), file_rules)


async def versions(session: AsyncSession, file_rules: Rules) -> list[PointsRulesVersionRead]:
    """Newest first; the installation's file is the oldest, version 0."""
    rows = await session.scalars(select(RulesVersion).order_by(RulesVersion.version.desc()))
    return [
        *(_read(r, file_rules) for r in rows),
        PointsRulesVersionRead(version=FILE_VERSION, rules=earning_of(file_rules)),
    ]


def apply(file_rules: Rules, found: PointsRulesVersionRead) -> Rules:
    """The file's rules with a version's earning amounts (and its number, kept on awards)."""
    return file_rules.model_copy(update={**found.rules.model_dump(), "version": found.version})


async def in_force(session: AsyncSession, file_rules: Rules) -> Rules:
    """The rules an award made now is priced by: one indexed read, inside the caller's
    transaction, so an award and the version it names are of the same moment."""
    number = await latest_version(session)
    if number == FILE_VERSION:
        return file_rules
    return apply(file_rules, await version(session, number, file_rules))


async def expiry_periods(session: AsyncSession, file_rules: Rules) -> list[ExpiryPeriod]:
    """How long the points of each version last, each version with the time it was in force."""
    found = sorted(await versions(session, file_rules), key=lambda v: v.version)
    ends = [v.created_at for v in found[1:]] + [None]
    return [
        ExpiryPeriod(version=v.version, days=v.rules.expiry_days or 0, start=v.created_at, end=end)
        for v, end in zip(found, ends, strict=True)
    ]


class RulesInForce:
    """The rules in force, kept by the process so that an award costs no read of the version.
    A save through this process is seen by the next award (`forget` after its commit); a save
    through another process of the service, within `max_age` seconds."""

    def __init__(
        self,
        file_rules: Rules,
        *,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.file_rules = file_rules
        self.max_age = max_age
        self._clock = clock
        self._rules: Rules | None = None
        self._read_at = 0.0
        self._generation = 0

    async def get(self, session: AsyncSession) -> Rules:
        """The kept rules, or read in `session` (the caller's transaction) when stale."""
        now = self._clock()
        if self._rules is not None and now - self._read_at < self.max_age:
            return self._rules
        generation = self._generation
        rules = await in_force(session, self.file_rules)
        if generation == self._generation:  # a read that began before a save is not kept
            self._rules, self._read_at = rules, now
        return rules

    def forget(self) -> None:
        self._generation += 1
        self._rules = None


async def save(
    session: AsyncSession,
    *,
    rules: EarningRules,
    author_id: str,
    reason: str,
    now: datetime,
    file_rules: Rules | None = None,
) -> PointsRulesVersionRead:
    """A new version, in force for what is awarded from now on. Two saves at once: the second
    fails on the primary key and the caller answers 409."""
    row = RulesVersion(
        version=await latest_version(session) + 1,
        rules=rules.model_dump(),
        author_id=author_id,
        reason=reason,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _read(row, file_rules)
