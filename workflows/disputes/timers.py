"""The workflow's timers: what happens when a deadline passes (an escalation, a due
follow-up, a return visit) and the bounded escalation of a case nobody accepts. Run inside
the workflow, through the steps of `steps`."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shared.tasks import COUNTY_DESK

from workflows.disputes.assignment import assign, pick, unassigned
from workflows.disputes.steps import (
    accept_window,
    apply,
    escalate,
    field_schedule,
    grace,
    new_task,
    now,
    tasks_of,
)
from workflows.disputes.types import CaseState, OpenTask, Stage, TaskSpec

BOUNDED_ACCEPT_PATCH = "bounded-accept-escalation"
# since this patch the county-level escalation opens a task on the county duty desk (closed
# once an officer accepts the case or it is cancelled): the case no longer goes nowhere
COUNTY_DESK_PATCH = "county-escalation-desk"


async def accept_breached(s: CaseState, t: OpenTask) -> None:
    """Since BOUNDED_ACCEPT_PATCH: the first miss tells the chief and reassigns, the second the
    county duty desk, later ones no one. Each officer is tried once; after every candidate the
    rotation stops (the last pick keeps the task, no further deadline)."""
    minutes = s.config.accept_minutes[s.colour]
    s.tasks.remove(t)
    if s.assignee_id and s.assignee_id not in s.excluded:
        s.excluded.append(s.assignee_id)
    s.accept_breaches += 1
    tried = len(s.excluded)
    if s.accept_breaches == 1:
        await escalate(s, f"not accepted within {minutes} minutes", close_tasks=[t.task_id])
    elif s.accept_breaches == 2:
        reason = f"not accepted after {tried} officers"
        desk: list[TaskSpec] = []
        if workflow.patched(COUNTY_DESK_PATCH):
            desk.append(new_task(s, "county_review", COUNTY_DESK, now() + accept_window(s)))
            s.tasks[-1].escalated = True  # the desk's own task does not escalate again
        await apply(
            s,
            "escalated",
            note=reason,
            event="dispute.escalated",
            fields={"reason": reason, "chief_id": s.chief_id, "level": "county"},
            close_tasks=[t.task_id],
            open_tasks=desk,
        )
    else:
        await apply(
            s,
            "accept_expired",
            note=f"not accepted after {tried} officers",
            close_tasks=[t.task_id],
        )
    picked = await pick(s)
    if await unassigned(s, picked):
        return
    s.stage = Stage.ASSIGNMENT
    s.assignee_id = picked.officer_id
    task = new_task(s, "accept", picked.officer_id, now() + accept_window(s))
    exhausted = picked.officer_id in s.excluded
    s.tasks[-1].escalated = exhausted  # every candidate tried: no more rotation
    await apply(
        s,
        "assigned",
        note=f"not accepted after {tried} officers" if exhausted else "acceptance deadline passed",
        event="dispute.assigned",
        fields={"deadline": task.due_at.isoformat() if task.due_at else None},
        open_tasks=[task],
    )


async def on_timers(s: CaseState) -> None:
    """Act on every deadline that has passed: escalations, due follow-ups, return visits."""
    t_now = now()
    for t in list(s.tasks):
        if t.escalated or t.due_at > t_now or t not in s.tasks:
            continue
        if t.kind == "accept" and workflow.patched(BOUNDED_ACCEPT_PATCH):
            await accept_breached(s, t)
        elif t.kind == "accept":
            minutes = s.config.accept_minutes[s.colour]
            s.tasks.remove(t)
            if s.assignee_id:
                s.excluded.append(s.assignee_id)
            await escalate(s, f"not accepted within {minutes} minutes", close_tasks=[t.task_id])
            await assign(s, reason="acceptance deadline passed")
        else:
            t.escalated = True
            for p in s.partner_requests:
                if p.request_id == t.task_id:
                    p.escalated = True
            await escalate(s, f"{t.kind} overdue since {t.due_at.isoformat()}")
    if (
        s.stage == Stage.FOLLOW_UP
        and not tasks_of(s, "follow_up")
        and s.next_follow_up_at is not None
        and s.next_follow_up_at <= t_now
    ):
        # a field-reported case's visit was due on its field schedule: grace counts from then
        start = s.next_follow_up_at if field_schedule(s) else t_now
        task = new_task(s, "follow_up", s.assignee_id, start + grace(s))
        await apply(
            s,
            "follow_up_due",
            event="dispute.follow_up_due",
            fields={"due_at": task.due_at.isoformat() if task.due_at else ""},
            open_tasks=[task],
        )
    if (
        s.stage == Stage.RETURN_VISIT
        and not tasks_of(s, "return_visit")
        and s.return_visit_at is not None
        and s.return_visit_at <= t_now
    ):
        due = t_now + timedelta(days=s.config.return_visit_grace_days)
        task = new_task(s, "return_visit", s.assignee_id, due)
        await apply(
            s,
            "return_visit_due",
            event="dispute.return_visit_due",
            fields={"due_at": due.isoformat()},
            open_tasks=[task],
        )
