"""Earning rules as data (no FastAPI here): validation with the field and the reason, the stored
versions with who/when/why, and the rules in force for an award being made now.

Version 0 is the installation's file; a saved version replaces the file's earning amounts for
what is awarded after it is saved (a dispute event consumed, a patrol co-signed, a tip rated),
never for what was awarded before. Each award keeps its version in `entries.rules_version`.
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

from services.points.models import RulesVersion
from services.points.rules import EARNING, Rules
from shared.contracts.points_rules import (
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


def _unknown(at: str, raw: dict[str, Any], known: list[str]) -> Iterator[Problem]:
    for key in sorted(set(raw) - set(known)):
        yield Problem(field=f"{at}{key}", reason=f"unknown field {key}")


def check_rules(raw: Any) -> EarningRules:
    """The earning rules, or Invalid with every problem (field path and reason)."""
    if not isinstance(raw, dict):
        raise Invalid([Problem(field="rules", reason="send an object with the earning amounts")])
    problems = list(_unknown("", raw, list(EARNING)))
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


def _read(row: RulesVersion) -> PointsRulesVersionRead:
    return PointsRulesVersionRead(
        version=row.version,
        rules=EarningRules.model_validate(row.rules),
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
    return _read(row)


async def current(session: AsyncSession, file_rules: Rules) -> PointsRulesVersionRead:
    return await version(session, await latest_version(session), file_rules)


async def versions(session: AsyncSession, file_rules: Rules) -> list[PointsRulesVersionRead]:
    """Newest first; the installation's file is the oldest, version 0."""
    rows = await session.scalars(select(RulesVersion).order_by(RulesVersion.version.desc()))
    return [
        *map(_read, rows),
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
    session: AsyncSession, *, rules: EarningRules, author_id: str, reason: str, now: datetime
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
    return _read(row)
