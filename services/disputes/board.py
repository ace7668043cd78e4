"""The supervisor board's reads of the case tables: truthful lateness, and the directory checks
of board actions (no FastAPI here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import Case, Officer, TimelineEntry
from shared.contracts.disputes_read import StuckRow
from shared.stages import LIVE_STAGES, OPEN_STAGES

AMBER_SHARE = 0.75
# The steps that start a new window for the stage's deadline: an assignment (the accept
# window), the accept and every follow-up (the cadence), a partner's request and reply, a
# closure proposed or rejected, the closure and the return visit.
WINDOW_RESETS = (
    "assigned",
    "reassigned",
    "accepted",
    "follow_up",
    "partner_requested",
    "partner_replied",
    "closure_proposed",
    "closure_rejected",
    "closed",
    "return_visited",
    "reopened",
)


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


async def business_stuck(
    session: AsyncSession, *, now: datetime, station: str | None, idle: timedelta
) -> list[StuckRow]:
    """Stage past its deadline (red), >= 75 % of the current window used (amber), or idle.

    The window is measured from the last step that reset it (WINDOW_RESETS), not from when the
    stage began: a case followed up on time a minute ago shows no alarm. Each row carries its
    figures as fields (reason code, percent used, window start, deadline)."""
    # per live case, an index lookup (ix_timeline_case_kind_at), not an aggregate of the
    # whole timeline
    reset_at = (
        select(func.max(TimelineEntry.at))
        .where(TimelineEntry.case_id == Case.case_id, TimelineEntry.kind.in_(WINDOW_RESETS))
        .correlate(Case)
        .scalar_subquery()
    )
    # officers offered the case in its current assignment stage (0 in any other stage)
    tried = (
        select(func.count(TimelineEntry.assignee_id.distinct()))
        .where(
            TimelineEntry.case_id == Case.case_id,
            TimelineEntry.kind.in_(("assigned", "reassigned")),
            TimelineEntry.at >= Case.stage_since,
            Case.stage == "assignment",
        )
        .correlate(Case)
        .scalar_subquery()
    )
    stmt = select(Case, reset_at, tried).where(Case.stage.in_(LIVE_STAGES))
    if station:
        stmt = stmt.where(Case.station_code == station)
    out: list[StuckRow] = []
    for c, reset_at, assignments in (await session.execute(stmt)).all():
        start = _aware(c.stage_since)
        if reset_at is not None:
            start = max(start, _aware(reset_at))
        row = dict(
            case_id=c.case_id,
            case_no=c.case_no,
            station_code=c.station_code,
            assignee_id=c.assignee_id,
            kind="business",
            stage=c.stage,
            colour=c.colour,
            window_start=start,
        )
        if c.stage_deadline is not None:
            deadline = _aware(c.stage_deadline)
            allowed = (deadline - start).total_seconds()
            if now >= deadline and (assignments or 0) > 1:
                # offered to officer after officer: the board says how many (the rotation stops)
                n = int(assignments)
                why = f"not accepted after {n} officers"
                out.append(
                    StuckRow(
                        **row,
                        level="red",
                        code="not_accepted",
                        why=why,
                        since=deadline,
                        deadline=deadline,
                        officers_tried=n,
                    )
                )
                continue
            if now >= deadline:
                why = f"{c.stage} past its deadline {deadline.isoformat()}"
                out.append(
                    StuckRow(
                        **row,
                        level="red",
                        code="breached",
                        why=why,
                        since=deadline,
                        deadline=deadline,
                    )
                )
                continue
            used = (now - start).total_seconds()
            if allowed > 0 and used >= AMBER_SHARE * allowed:
                pct = round(100 * used / allowed)
                why = f"{c.stage}: {pct}% of the allowed time used"
                out.append(
                    StuckRow(
                        **row,
                        level="amber",
                        code="nearly",
                        why=why,
                        since=start,
                        used_pct=pct,
                        deadline=deadline,
                    )
                )
                continue
        updated = _aware(c.updated_at)
        if c.stage in OPEN_STAGES and now - updated >= idle:
            out.append(
                StuckRow(**row, level="amber", code="idle", why="no progress", since=updated)
            )
    out.sort(key=lambda r: (r.station_code or "", r.assignee_id or "", r.level != "red"))
    return out


async def case_station(session: AsyncSession, case_id: str) -> str | None:
    return await session.scalar(select(Case.station_code).where(Case.case_id == case_id))


async def officer_status(session: AsyncSession, officer_id: str) -> tuple[str, bool] | None:
    """(station, active) of an officer of the directory, or None for an unknown id."""
    row = (
        await session.execute(
            select(Officer.station_code, Officer.active).where(Officer.user_id == officer_id)
        )
    ).first()
    return None if row is None else (str(row[0]), bool(row[1]))
