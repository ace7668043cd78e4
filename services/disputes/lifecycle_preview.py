"""The preview of proposed lifecycle deadlines over recent cases (no FastAPI here): every effect
of the deadlines and cadences on the cases as they went, under the policy in force and under
the proposed one — acceptances past their deadline, follow-up visits due and overdue, partner
replies overdue, closure approvals overdue, return visits due and overdue.

Each deadline is measured against the moment its step was done in the case's timeline (or
the end of the window when it is still open): what an officer did late under the deadlines in
force is late under the proposed ones only when it also passes theirs, and the other way
round. A partner's reply keeps the deadline an officer agreed with the partner when it differs
from every version's default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import Case, Task, TimelineEntry
from shared.contracts.disputes import (
    DeadlineEffect,
    EffectName,
    LifecyclePreviewRead,
    OverdueChange,
)
from shared.stages import Stage
from workflows.disputes.types import LifecycleDeadlines

COLOURS = ("red", "yellow", "green")
# a follow-up visit counts from these (workflows/disputes/actions.py restart_cadence)
CADENCE_STARTS = ("accepted", "follow_up", "closure_rejected")
TASK_KINDS = ("accept", "linkage", "closure_approval")
EFFECTS: tuple[EffectName, ...] = (
    "accept_late",
    "follow_up_due",
    "follow_up_overdue",
    "linkage_overdue",
    "closure_approval_overdue",
    "return_visit_due",
    "return_visit_overdue",
)
# the deadlines a case misses (the others count what falls due)
MISSED = {e for e in EFFECTS if e.endswith(("_late", "_overdue"))}
CHANGED_SHOWN = 50
CHUNK = 500
Step = tuple[datetime, str, str, str]  # at, kind, stage, colour


@dataclass(frozen=True)
class TaskSpan:
    kind: str
    colour: str
    opened_at: datetime
    agreed: timedelta | None  # the deadline it was given
    closed_at: datetime | None


@dataclass
class CaseSteps:
    timeline: list[Step] = field(default_factory=list)
    tasks: list[TaskSpan] = field(default_factory=list)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def follow_ups(entries: list[Step], d: LifecycleDeadlines, until: datetime) -> tuple[int, int]:
    """(due, overdue) follow-up visits of one case's timeline under `d`: each visit (or
    acceptance) is followed by one due a cadence later; it is overdue when the next visit, the
    end of follow-up or `until` comes after the cadence and the grace."""
    due = overdue = 0
    since: datetime | None = None
    colour = "green"

    def close(end: datetime) -> None:
        nonlocal due, overdue
        assert since is not None
        at = since + timedelta(days=d.follow_up_every_days[colour])
        if at <= end:
            due += 1
            overdue += end > at + timedelta(hours=d.follow_up_grace_hours[colour])

    for at, kind, stage, colour_then in entries:
        colour = colour_then if colour_then in COLOURS else colour
        if kind in CADENCE_STARTS and stage == Stage.FOLLOW_UP:
            if since is not None:
                close(at)
            since = at
        elif since is not None and stage != Stage.FOLLOW_UP:
            close(at)
            since = None
    if since is not None:
        close(until)
    return due, overdue


def return_visits(entries: list[Step], d: LifecycleDeadlines, until: datetime) -> tuple[int, int]:
    """(due, overdue) return visits: due `return_visit_after_days` after the case entered the
    return visit, overdue when it left that stage (or `until` came) after the grace too."""
    due = overdue = 0
    entered: datetime | None = None
    for at, _kind, stage, _colour in [*entries, (until, "", "", "")]:
        if stage == Stage.RETURN_VISIT and entered is None:
            entered = at
        elif stage != Stage.RETURN_VISIT and entered is not None:
            at_due = entered + timedelta(days=d.return_visit_after_days)
            due += at_due <= at
            overdue += at > at_due + timedelta(days=d.return_visit_grace_days)
            entered = None
    return due, overdue


def _late(t: TaskSpan, allowed: timedelta, until: datetime) -> bool:
    end = t.closed_at if t.closed_at is not None else until
    return end >= t.opened_at + allowed


def effects(
    case: CaseSteps, d: LifecycleDeadlines, until: datetime, defaults: set[float]
) -> dict[EffectName, int]:
    """Every effect of `d` on one case, as its steps went."""
    out = dict.fromkeys(EFFECTS, 0)
    out["follow_up_due"], out["follow_up_overdue"] = follow_ups(case.timeline, d, until)
    out["return_visit_due"], out["return_visit_overdue"] = return_visits(case.timeline, d, until)
    for t in case.tasks:
        if t.kind == "accept":
            minutes = d.accept_minutes.get(t.colour, d.accept_minutes["green"])
            out["accept_late"] += _late(t, timedelta(minutes=minutes), until)
        elif t.kind == "closure_approval":
            hours = d.closure_approval_hours
            out["closure_approval_overdue"] += _late(t, timedelta(hours=hours), until)
        elif t.kind == "linkage":
            agreed = t.agreed
            own = agreed is not None and round(agreed.total_seconds() / 3600, 2) not in defaults
            allowed = agreed if own and agreed else timedelta(hours=d.linkage_default_hours)
            end = t.closed_at if t.closed_at is not None else until
            out["linkage_overdue"] += end > t.opened_at + allowed
    return out


async def _steps(session: AsyncSession, ids: list[str], until: datetime) -> dict[str, CaseSteps]:
    found: dict[str, CaseSteps] = defaultdict(CaseSteps)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        rows = await session.execute(
            select(
                TimelineEntry.case_id,
                TimelineEntry.at,
                TimelineEntry.kind,
                TimelineEntry.stage,
                TimelineEntry.colour,
            )
            .where(TimelineEntry.case_id.in_(chunk), TimelineEntry.at < until)
            .order_by(TimelineEntry.case_id, TimelineEntry.seq)
        )
        for case_id, at, kind, stage, colour in rows:
            found[case_id].timeline.append((_aware(at), kind, stage, colour))
        tasks = await session.execute(
            select(Task)
            .where(Task.case_id.in_(chunk), Task.kind.in_(TASK_KINDS), Task.opened_at < until)
            .order_by(Task.case_id, Task.opened_at)
        )
        for t in tasks.scalars():
            opened = _aware(t.opened_at)
            found[t.case_id].tasks.append(
                TaskSpan(
                    kind=t.kind,
                    colour=t.colour,
                    opened_at=opened,
                    agreed=_aware(t.due_at) - opened if t.due_at is not None else None,
                    closed_at=_aware(t.closed_at) if t.closed_at is not None else None,
                )
            )
    return found


async def preview(
    session: AsyncSession,
    *,
    in_force: LifecycleDeadlines,
    in_force_version: int,
    proposed: LifecycleDeadlines,
    linkage_defaults: Iterable[float],
    since: datetime,
    until: datetime,
) -> LifecyclePreviewRead:
    """Every effect on the cases reported in [since, until), under the deadlines in force and
    under the proposed ones; the cases whose missed deadlines change, with what changes."""
    cases = list(
        await session.execute(
            select(Case.case_id, Case.case_no)
            .where(Case.reported_at >= since, Case.reported_at < until)
            .order_by(Case.reported_at, Case.case_id)
        )
    )
    steps = await _steps(session, [c.case_id for c in cases], until)
    defaults = {round(float(h), 2) for h in linkage_defaults}
    now_totals = dict.fromkeys(EFFECTS, 0)
    new_totals = dict.fromkeys(EFFECTS, 0)
    changed: list[OverdueChange] = []
    for c in cases:
        now = effects(steps[c.case_id], in_force, until, defaults)
        new = effects(steps[c.case_id], proposed, until, defaults)
        for e in EFFECTS:
            now_totals[e] += now[e]
            new_totals[e] += new[e]
        moved = [e for e in EFFECTS if now[e] != new[e]]
        if any(e in MISSED for e in moved):
            changed.append(
                OverdueChange(
                    case_id=c.case_id,
                    case_no=c.case_no,
                    current=sum(now[e] for e in MISSED),
                    proposed=sum(new[e] for e in MISSED),
                    effects=moved,
                )
            )
    return LifecyclePreviewRead(
        since=since,
        until=until,
        cases=len(cases),
        current_version=in_force_version,
        follow_ups_current=now_totals["follow_up_due"],
        follow_ups_proposed=new_totals["follow_up_due"],
        overdue_current=now_totals["follow_up_overdue"],
        overdue_proposed=new_totals["follow_up_overdue"],
        missed_current=sum(now_totals[e] for e in MISSED),
        missed_proposed=sum(new_totals[e] for e in MISSED),
        effects=[
            DeadlineEffect(effect=e, current=now_totals[e], proposed=new_totals[e]) for e in EFFECTS
        ],
        changed_total=len(changed),
        changed=changed[:CHANGED_SHOWN],
    )
