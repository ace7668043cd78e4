"""The lifecycle's steps, run inside the workflow: each mutates the state, then records one
transition through the `apply` activity (timeline, case row, tasks, event) and refreshes the
search attributes. Deterministic: time is `workflow.now()`, ids come from counters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shared.temporal import (
        SA_ASSIGNEE,
        SA_COLOUR,
        SA_KIND,
        SA_STAGE,
        SA_STAGE_DEADLINE,
        SA_STATION,
        SA_VILLAGE,
    )
    from workflows.disputes.activities import DisputeActivities

from workflows.disputes.calling import PREEMPT_PATCH, Preempted, call
from workflows.disputes.types import (
    CaseState,
    ColourChange,
    DisputeIntake,
    OpenTask,
    RiskFacts,
    ScreenInput,
    Stage,
    TaskSpec,
    Transition,
)

FIELD_CADENCE_PATCH = "field-reported-cadence"


TITLES = {
    "accept": "Accept case",
    "follow_up": "Follow-up visit",
    "linkage": "Partner reply",
    "closure_approval": "Approve closure",
    "return_visit": "Return visit",
    "county_review": "County desk: case not accepted",
}


def now() -> datetime:
    return workflow.now()


def accept_window(s: CaseState) -> timedelta:
    return timedelta(minutes=s.config.accept_minutes[s.colour])


def cadence(s: CaseState) -> timedelta:
    return timedelta(days=s.config.follow_up_every_days[s.colour])


def grace(s: CaseState) -> timedelta:
    return timedelta(hours=s.config.follow_up_grace_hours[s.colour])


def tasks_of(s: CaseState, *kinds: str) -> list[OpenTask]:
    return [t for t in s.tasks if t.kind in kinds]


def stage_deadline(s: CaseState) -> datetime | None:
    if s.stage == Stage.ASSIGNMENT:
        return min((t.due_at for t in tasks_of(s, "accept")), default=None)
    if s.stage == Stage.FOLLOW_UP:
        open_fu = tasks_of(s, "follow_up")
        if open_fu:
            return open_fu[0].due_at
        return s.next_follow_up_at + grace(s) if s.next_follow_up_at else None
    if s.stage == Stage.CLOSURE_APPROVAL:
        return min((t.due_at for t in tasks_of(s, "closure_approval")), default=None)
    if s.stage == Stage.RETURN_VISIT:
        open_rv = tasks_of(s, "return_visit")
        if open_rv:
            return open_rv[0].due_at
        if s.return_visit_at:
            return s.return_visit_at + timedelta(days=s.config.return_visit_grace_days)
    return None


def next_due(s: CaseState) -> datetime | None:
    times = [t.due_at for t in s.tasks if not t.escalated]
    if s.stage == Stage.FOLLOW_UP and not tasks_of(s, "follow_up") and s.next_follow_up_at:
        times.append(s.next_follow_up_at)
    if s.stage == Stage.RETURN_VISIT and not tasks_of(s, "return_visit") and s.return_visit_at:
        times.append(s.return_visit_at)
    return min(times, default=None)


def new_task(s: CaseState, kind: str, assignee: str | None, due: datetime) -> TaskSpec:
    s.counter += 1
    task = OpenTask(
        task_id=f"{s.case_id}-{kind}-{s.counter}",
        kind=kind,
        assignee_id=assignee,
        opened_at=now(),
        due_at=due,
    )
    s.tasks.append(task)
    return TaskSpec(
        task_id=task.task_id,
        kind=kind,
        title=f"{TITLES[kind]} {s.case_no}",
        assignee_id=assignee,
        due_at=due,
    )


def drop_tasks(s: CaseState, *kinds: str) -> list[str]:
    gone = [t.task_id for t in s.tasks if t.kind in kinds]
    s.tasks = [t for t in s.tasks if t.kind not in kinds]
    return gone


async def apply(
    s: CaseState,
    kind: str,
    *,
    actor: str = "system",
    note: str = "",
    event: str | None = None,
    fields: dict[str, Any] | None = None,
    open_tasks: list[TaskSpec] | None = None,
    close_tasks: list[str] | None = None,
    colour_change: ColourChange | None = None,
    reassign_to: str | None = None,
    due_changes: dict[str, datetime] | None = None,
    audit: str | None = None,
    timeline_data: dict[str, object] | None = None,
) -> None:
    s.seq += 1
    deadline = stage_deadline(s)
    t = Transition(
        case_id=s.case_id,
        case_no=s.case_no,
        seq=s.seq,
        at=now(),
        kind=kind,
        actor_id=actor,
        note=note,
        stage=s.stage,
        colour=s.colour,
        rules_fired=s.rules_fired,
        assignee_id=s.assignee_id,
        station_code=s.station_code,
        village_code=s.village_code,
        stage_deadline=deadline,
        resident_ids=s.resident_ids,
        settlement=s.settlement,
        closed=s.stage in (Stage.RETURN_VISIT, Stage.CLOSED, Stage.CANCELLED),
        colour_change=colour_change,
        event=event,
        event_fields=fields or {},
        open_tasks=open_tasks or [],
        close_tasks=close_tasks or [],
        reassign_tasks_to=reassign_to,
        due_changes=due_changes or {},
        audit_action=audit,
        timeline_data=timeline_data or {},
    )
    await call(DisputeActivities.apply, t)
    workflow.upsert_search_attributes(
        [
            SA_KIND.value_set("dispute"),
            SA_STAGE.value_set(s.stage),
            SA_COLOUR.value_set(s.colour),
            SA_ASSIGNEE.value_set(s.assignee_id) if s.assignee_id else SA_ASSIGNEE.value_unset(),
            SA_STATION.value_set(s.station_code),
            SA_VILLAGE.value_set(s.village_code),
            SA_STAGE_DEADLINE.value_set(deadline)
            if deadline is not None
            else SA_STAGE_DEADLINE.value_unset(),
        ]
    )


async def reported(s: CaseState, intake: DisputeIntake) -> None:
    await apply(
        s,
        "reported",
        actor=intake.reporter_id or "system",
        note=intake.category,
        event="dispute.reported",
        fields={"reporter_id": intake.reporter_id, "reporter_kind": intake.reporter_kind},
    )


async def regrade(
    s: CaseState,
    colour: str,
    rules_fired: list[str],
    *,
    reason: str,
    by: str,
    previous: str | None,
) -> None:
    """Record a (re-)grade and move every colour-driven deadline with it (dynamic control)."""
    s.colour = colour
    s.rules_fired = rules_fired
    change = ColourChange(
        at=now(), previous=previous, colour=colour, rules_fired=rules_fired, reason=reason, by=by
    )
    s.colour_history.append(change)
    due_changes: dict[str, datetime] = {}
    for t in s.tasks:
        if t.kind == "accept":
            t.due_at = t.opened_at + accept_window(s)
        elif t.kind == "follow_up":
            t.due_at = t.opened_at + grace(s)
        else:
            continue
        due_changes[t.task_id] = t.due_at
    if s.stage == Stage.FOLLOW_UP and s.last_follow_up_at is not None:
        s.next_follow_up_at = s.last_follow_up_at + cadence(s)
    await apply(
        s,
        "screened",
        actor=by,
        note=reason,
        event="dispute.screened",
        fields={"rules_fired": rules_fired, "previous_colour": previous, "reason": reason},
        colour_change=change,
        due_changes=due_changes,
    )


async def rescreen(s: CaseState, risk: RiskFacts, *, reason: str, by: str, always: bool) -> None:
    s.risk = risk
    result = await call(
        DisputeActivities.screen,
        ScreenInput(case_id=s.case_id, household_ids=s.household_ids, risk=risk, at=now()),
    )
    if always or result.colour != s.colour or result.rules_fired != s.rules_fired:
        await regrade(s, result.colour, result.rules_fired, reason=reason, by=by, previous=s.colour)


async def escalate(s: CaseState, reason: str, *, actor: str = "system", **kw: Any) -> None:
    await apply(
        s,
        "escalated",
        actor=actor,
        note=reason,
        event="dispute.escalated",
        fields={"reason": reason, "chief_id": s.chief_id},
        **kw,
    )


async def close_case(s: CaseState, *, actor: str, note: str) -> None:
    closed = drop_tasks(s, "follow_up", "linkage", "closure_approval")
    s.stage = Stage.RETURN_VISIT
    s.return_visit_at = now() + timedelta(days=s.config.return_visit_after_days)
    helpers = [h for h in s.helper_ids if h not in s.credited_ids]
    s.credited_ids.extend(helpers)
    await apply(
        s,
        "closed",
        actor=actor,
        note=note or (s.settlement or ""),
        event="dispute.closed",
        fields={
            "settlement": s.settlement or "",
            "helper_ids": helpers,
            "reporter_id": s.reporter_id,
        },
        close_tasks=closed,
    )


def field_schedule(s: CaseState) -> bool:
    """Whether the case keeps the schedule of its earlier field report (patched: only cases
    recorded with `reported_in_field_at` take the new path; older histories never ask)."""
    return s.reported_in_field_at is not None and workflow.patched(FIELD_CADENCE_PATCH)


def restart_cadence(s: CaseState) -> None:
    """The next visit is due one cadence after the last; on a field-reported case's first
    acceptance, one cadence after the field report (it may already be overdue)."""
    since = now()
    if s.last_follow_up_at is None and field_schedule(s):
        assert s.reported_in_field_at is not None
        since = min(s.reported_in_field_at, since)
    s.last_follow_up_at = since
    s.next_follow_up_at = since + cadence(s)


# the workflow reaches these through this module
__all__ = ["PREEMPT_PATCH", "Preempted", "call"]
