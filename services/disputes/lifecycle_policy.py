"""The lifecycle's deadlines and cadences as data (no FastAPI here): validation with the field
and the reason, the stored versions with who/when/why, the deadlines a new case starts with,
(the preview of proposed deadlines over recent cases: services/disputes/lifecycle_preview.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import LifecyclePolicyVersion
from services.disputes.screening_rules import Invalid, Problem
from shared.contracts.disputes import LifecyclePolicyRead
from workflows.disputes.types import LifecycleConfig, LifecycleDeadlines

FILE_VERSION = 0
COLOURS = ("red", "yellow", "green")
# (field, whole numbers only, the largest value, its unit): the smallest is above 0
PER_COLOUR = (
    ("accept_minutes", True, 7 * 24 * 60, "minutes"),
    ("follow_up_every_days", False, 90, "days"),
    ("follow_up_grace_hours", False, 30 * 24, "hours"),
)
SINGLE = (
    ("linkage_default_hours", 90 * 24, "hours"),  # as a linkage request's own deadline_hours
    ("closure_approval_hours", 30 * 24, "hours"),
    ("return_visit_after_days", 365, "days"),
    ("return_visit_grace_days", 90, "days"),
)
FIELDS = {name for name, *_ in PER_COLOUR} | {name for name, *_ in SINGLE}
__all__ = ["Invalid", "Problem"]


def file_deadlines(config: LifecycleConfig) -> LifecycleDeadlines:
    return LifecycleDeadlines.model_validate(config.model_dump(include=FIELDS))


def _out_of_range(unit: str, top: float) -> str:
    if unit == "minutes":
        reason = f"a whole number of minutes, more than 0 and at most {top}"
    elif unit == "hours":
        reason = f"a number of hours, more than 0 and at most {top}"
    else:
        reason = f"a number of days, more than 0 and at most {top}"
    return reason


def _number(at: str, value: Any, whole: bool, top: float, unit: str) -> Iterator[Problem]:
    kind = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not 0 < value <= top:
        yield Problem(field=at, reason=_out_of_range(unit, top))


def _per_colour(name: str, raw: Any, whole: bool, top: float, unit: str) -> Iterator[Problem]:
    if not isinstance(raw, dict) or set(raw) != set(COLOURS):
        yield Problem(field=name, reason="give red, yellow and green")
        return
    bad = [p for c in COLOURS for p in _number(f"{name}.{c}", raw[c], whole, top, unit)]
    yield from bad
    if bad:
        return
    for urgent, calmer in (("red", "yellow"), ("yellow", "green")):
        if raw[urgent] > raw[calmer]:  # the more urgent colour is never given more time
            limit = f"{raw[calmer]:g}"  # 3, not 3.0
            yield Problem(
                field=f"{name}.{urgent}",
                reason=f"{urgent} must not be longer than {calmer}, which is {limit}",
            )


def check_deadlines(raw: Any) -> LifecycleDeadlines:
    """The deadlines, or Invalid with every problem (field path and reason)."""
    if not isinstance(raw, dict):
        raise Invalid([Problem(field="values", reason="send an object of deadlines")])
    problems = [
        Problem(field=key, reason=f"unknown field {key}") for key in sorted(set(raw) - FIELDS)
    ]
    for name, whole, top, unit in PER_COLOUR:
        problems += _per_colour(name, raw.get(name), whole, top, unit)
    for name, top, unit in SINGLE:
        problems += _number(name, raw.get(name), False, top, unit)
    if problems:
        raise Invalid(problems)
    return LifecycleDeadlines.model_validate({k: raw[k] for k in FIELDS})


def check_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 500:
        raise Invalid(
            [Problem(field="reason", reason="say why the deadlines change (5 to 500 characters)")]
        )
    return reason.strip()


def _read(row: LifecyclePolicyVersion) -> LifecyclePolicyRead:
    return LifecyclePolicyRead.model_validate(
        {
            "version": row.version,
            "values": row.deadlines,
            "author_id": row.author_id,
            "reason": row.reason,
            "created_at": row.created_at,
        }
    )


def _of_file(file: LifecycleDeadlines) -> LifecyclePolicyRead:
    values = file.model_dump()
    return LifecyclePolicyRead.model_validate({"version": FILE_VERSION, "values": values})


async def latest_version(session: AsyncSession) -> int:
    found = (await session.execute(select(func.max(LifecyclePolicyVersion.version)))).scalar()
    return int(found) if found is not None else FILE_VERSION


async def version(
    session: AsyncSession, number: int, file: LifecycleDeadlines
) -> LifecyclePolicyRead:
    if number == FILE_VERSION:
        return _of_file(file)
    row = await session.get(LifecyclePolicyVersion, number)
    if row is None:
        raise LookupError(number)
    return _read(row)


async def current(session: AsyncSession, file: LifecycleDeadlines) -> LifecyclePolicyRead:
    return await version(session, await latest_version(session), file)


async def versions(session: AsyncSession, file: LifecycleDeadlines) -> list[LifecyclePolicyRead]:
    """Newest first; the installation's file is the oldest, version 0."""
    rows = await session.execute(
        select(LifecyclePolicyVersion).order_by(LifecyclePolicyVersion.version.desc())
    )
    return [*map(_read, rows.scalars()), _of_file(file)]


async def for_new_case(session: AsyncSession) -> LifecycleDeadlines | None:
    """What a case reported now starts with: the newest saved version, or None while there is
    none (the worker's own lifecycle.yaml, exactly as before any version was saved)."""
    number = await latest_version(session)
    if number == FILE_VERSION:
        return None
    row = await session.get(LifecyclePolicyVersion, number)
    assert row is not None
    return LifecycleDeadlines.model_validate(row.deadlines)


async def save(
    session: AsyncSession, *, values: LifecycleDeadlines, author_id: str, reason: str, now: datetime
) -> LifecyclePolicyRead:
    """A new version for the cases reported from now on. Two saves at once: the second fails
    on the primary key and the caller answers 409."""
    row = LifecyclePolicyVersion(
        version=await latest_version(session) + 1,
        deadlines=values.model_dump(),
        author_id=author_id,
        reason=reason,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _read(row)
