"""Writing one transition of the lifecycle (the `apply` activity's transaction): timeline row,
case row, colour change, tasks, outbox event and audit entry, all or nothing.

Idempotent by the timeline's (case, seq) key: a retried transition finds its row and writes
nothing. Few round trips on purpose (SQLite holds its one writer lock for the whole
transaction): the case row is one UPDATE (no read first), the new tasks one INSERT, and the
open tasks are re-coloured only when the transition changes the colour.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case as when
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.messaging.events import deterministic_event_id, event_class
from shared.messaging.outbox import add_event, insert_ignore, insert_ignore_many
from workflows.disputes.tables import AuditEntry, Case, ColourChangeRow, Task, TimelineEntry, outbox
from workflows.disputes.types import Transition

TIMELINE = TimelineEntry.__table__
TASKS = Task.__table__


class Applied(BaseModel):
    """The `apply` activity's receipt of what it recorded: since LOCAL_PATCH the history's only
    trace of a transition (a local activity's marker keeps the result, not the input). The
    workflow reads it as plain JSON, never as this class; it still ignores unknown fields, like
    every model whose JSON is in a history (tests/workflows/test_carried_models.py)."""

    model_config = ConfigDict(extra="ignore")

    kind: str
    seq: int
    colour: str
    written: bool  # False: a retry found the transition already written


async def record(s: AsyncSession, t: Transition) -> bool:
    """Write `t` in the caller's transaction; False if it was written before."""
    first = await insert_ignore(
        s,
        TIMELINE,  # type: ignore[arg-type]
        {
            "case_id": t.case_id,
            "seq": t.seq,
            "at": t.at,
            "kind": t.kind,
            "actor_id": t.actor_id,
            "stage": t.stage,
            "colour": t.colour,
            "assignee_id": t.assignee_id,
            "note": t.note,
            "data": {**t.event_fields, **t.timeline_data},
        },
        ["case_id", "seq"],
    )
    if not first:
        return False
    found = await s.execute(
        update(Case)
        .where(Case.case_id == t.case_id)
        .values(
            stage_since=when((Case.stage != t.stage, t.at), else_=Case.stage_since),
            stage=t.stage,
            colour=t.colour,
            rules_fired=t.rules_fired,
            assignee_id=t.assignee_id,
            stage_deadline=t.stage_deadline,
            settlement=t.settlement,
            closed_at=t.at if t.closed else None,
            updated_at=t.at,
        )
        .returning(Case.case_id)
    )
    assert found.first() is not None, f"no case row for {t.case_id}"
    if t.colour_change is not None:
        c = t.colour_change
        s.add(
            ColourChangeRow(
                case_id=t.case_id,
                seq=t.seq,
                at=c.at,
                previous=c.previous,
                colour=c.colour,
                rules_fired=c.rules_fired,
                reason=c.reason,
                by=c.by,
            )
        )
        # only a (re-)grade changes the colour; tasks opened below get it at once
        await s.execute(
            update(Task)
            .where(Task.case_id == t.case_id, Task.closed_at.is_(None))
            .values(colour=t.colour)
        )
    if t.close_tasks:
        await s.execute(
            update(Task)
            .where(Task.task_id.in_(t.close_tasks), Task.closed_at.is_(None))
            .values(closed_at=t.at)
        )
    if t.reassign_tasks_to is not None:
        await s.execute(
            update(Task)
            .where(
                Task.case_id == t.case_id,
                Task.closed_at.is_(None),
                Task.kind.not_in(("closure_approval", "county_review")),
            )
            .values(assignee_id=t.reassign_tasks_to)
        )
    for task_id, due in t.due_changes.items():
        await s.execute(update(Task).where(Task.task_id == task_id).values(due_at=due))
    await insert_ignore_many(
        s,
        TASKS,  # type: ignore[arg-type]
        [
            {
                "task_id": spec.task_id,
                "case_id": t.case_id,
                "kind": spec.kind,
                "title": spec.title,
                "assignee_id": spec.assignee_id,
                "station_code": t.station_code,
                "village_code": t.village_code,
                "colour": t.colour,
                "opened_at": t.at,
                "due_at": spec.due_at,
                "closed_at": None,
                "partner_code": spec.partner_code,
            }
            for spec in t.open_tasks
        ],
        ["task_id"],
    )
    if t.event is not None:
        event = event_class(t.event, 1).model_validate(
            {
                "event_id": deterministic_event_id(t.case_id, t.seq, t.event),
                "occurred_at": t.at,
                "case_id": t.case_id,
                "case_no": t.case_no,
                "colour": t.colour,
                "stage": t.stage,
                "village_code": t.village_code,
                "station_code": t.station_code,
                "assignee_id": t.assignee_id,
                "resident_ids": t.resident_ids,
                "summary": t.note[:200],
                **t.event_fields,
            }
        )
        await add_event(s, outbox, event)
    if t.audit_action is not None:
        s.add(
            AuditEntry(
                key=f"{t.case_id}:{t.seq}",
                case_id=t.case_id,
                at=t.at,
                actor_id=t.actor_id,
                action=t.audit_action,
                reason=t.note,
            )
        )
    return True
