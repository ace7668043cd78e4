"""Assigning a case to an officer, run inside the workflow: the least loaded eligible officer
the `pick_officer` activity finds, who gets the acceptance task. A station with no active
officer left assigns no one: since NO_OFFICER_PATCH the case waits in assignment for the
station chief (told by the escalation) and the county duty desk, with the reason."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shared.tasks import COUNTY_DESK
    from workflows.disputes.activities import DisputeActivities

from workflows.disputes.steps import accept_window, apply, call, new_task, now, tasks_of
from workflows.disputes.types import CaseState, Picked, PickInput, Stage

# before it, a station without active officers failed the pick and retried it for ever
NO_OFFICER_PATCH = "no-active-officer"


async def pick(s: CaseState) -> Picked:
    return await call(
        DisputeActivities.pick_officer,
        PickInput(case_id=s.case_id, village_code=s.village_code, exclude=s.excluded),
    )


async def unassigned(s: CaseState, picked: Picked) -> bool:
    """Nobody to pick: escalate to the chief and open the county desk's task (once)."""
    if not picked.unassigned or not workflow.patched(NO_OFFICER_PATCH):
        return False
    reason = picked.unassigned
    s.stage = Stage.ASSIGNMENT
    s.assignee_id = None
    desk = []
    if not tasks_of(s, "county_review"):
        desk.append(new_task(s, "county_review", COUNTY_DESK, now() + accept_window(s)))
        s.tasks[-1].escalated = True  # waits for a supervisor: no further deadline action
    await apply(
        s,
        "escalated",
        note=reason,
        event="dispute.escalated",
        fields={"reason": reason, "chief_id": s.chief_id, "level": "station"},
        open_tasks=desk,
    )
    return True


async def assign(s: CaseState, *, reason: str) -> None:
    picked = await pick(s)
    if await unassigned(s, picked):
        return
    s.stage = Stage.ASSIGNMENT
    s.assignee_id = picked.officer_id
    task = new_task(s, "accept", picked.officer_id, now() + accept_window(s))
    await apply(
        s,
        "assigned",
        note=reason,
        event="dispute.assigned",
        fields={"deadline": task.due_at.isoformat() if task.due_at else None},
        open_tasks=[task],
    )
