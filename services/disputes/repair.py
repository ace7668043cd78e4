"""Repairs of a technically stuck case, through the workflow service (no FastAPI here): pause
and resume its failing activity (server >= 1.28), and reset the workflow to its last good point
(the last completed workflow task) after a bad deploy. Every call has a deadline. Each repair
is audited and written into the case's timeline (`record_repair`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import (
    PauseActivityRequest,
    ResetWorkflowExecutionRequest,
    UnpauseActivityRequest,
)
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from services.disputes import service
from services.disputes.models import Case, TimelineEntry
from shared.temporal import dispute_workflow_id

RPC_TIMEOUT = timedelta(seconds=5)


class CaseMissing(Exception):
    pass


class CannotRepair(Exception):
    """The repair does not apply to the case now; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _running(client: Client, case_id: str) -> tuple[str, list[str]]:
    """(run id, the types of its pending activities) of a running case, or raise."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CaseMissing(case_id) from exc
        raise
    if desc.status != WorkflowExecutionStatus.RUNNING:
        raise CannotRepair("the case's workflow is not running")
    pending = [pa.activity_type.name for pa in desc.raw_description.pending_activities]
    return desc.run_id, pending


async def pause(client: Client, case_id: str, *, identity: str, reason: str) -> int:
    """Pause every pending activity of the case (no more attempts until resumed)."""
    run_id, pending = await _running(client, case_id)
    if not pending:
        raise CannotRepair("no activity of this case is waiting to be retried")
    for name in dict.fromkeys(pending):
        await client.workflow_service.pause_activity(
            PauseActivityRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(
                    workflow_id=dispute_workflow_id(case_id), run_id=run_id
                ),
                identity=identity,
                type=name,
                reason=reason,
                request_id=uuid.uuid4().hex,
            ),
            timeout=RPC_TIMEOUT,
        )
    return len(pending)


async def resume(client: Client, case_id: str, *, identity: str) -> int:
    """Resume the case's paused activities, their attempts counted anew."""
    run_id, pending = await _running(client, case_id)
    if not pending:
        raise CannotRepair("no activity of this case is waiting to be retried")
    for name in dict.fromkeys(pending):
        await client.workflow_service.unpause_activity(
            UnpauseActivityRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(
                    workflow_id=dispute_workflow_id(case_id), run_id=run_id
                ),
                identity=identity,
                type=name,
                reset_attempts=True,
            ),
            timeout=RPC_TIMEOUT,
        )
    return len(pending)


async def reset_to_last_good(client: Client, case_id: str, *, identity: str, reason: str) -> str:
    """Reset the workflow to its last completed workflow task: the tasks a bad deploy failed are
    dropped and run again on today's code (the projection's writes are keyed by case and step,
    so nothing is applied twice). Returns the new run's id."""
    run_id, _ = await _running(client, case_id)
    handle = client.get_workflow_handle(dispute_workflow_id(case_id), run_id=run_id)
    history = await handle.fetch_history(rpc_timeout=RPC_TIMEOUT)
    completed = [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    if not completed:
        raise CannotRepair("the workflow has no completed step to go back to")
    resp = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(
                workflow_id=dispute_workflow_id(case_id), run_id=run_id
            ),
            reason=reason,
            workflow_task_finish_event_id=completed[-1],
            request_id=uuid.uuid4().hex,
            identity=identity,
        ),
        timeout=RPC_TIMEOUT,
    )
    return str(resp.run_id)


async def record_repair(
    session: AsyncSession, *, case_id: str, actor_id: str, action: str, reason: str, at: datetime
) -> None:
    """Audit the repair and put it in the case's timeline (kind `repair_<action>`: who, when,
    why). The workflow numbers its own entries 1, 2, ... as it goes; a repair takes the next
    number below zero, so it never takes one the workflow will write (the page orders by time).
    A case stuck before its row was written has no timeline: the audit alone records it."""
    await service.audit(
        session, case_id=case_id, actor_id=actor_id, action=action, reason=reason, at=at
    )
    case = await session.get(Case, case_id)
    if case is None:
        return
    lowest = await session.scalar(
        select(func.min(TimelineEntry.seq)).where(TimelineEntry.case_id == case_id)
    )
    session.add(
        TimelineEntry(
            case_id=case_id,
            seq=min(int(lowest or 0), 0) - 1,
            at=at,
            kind=f"repair_{action}",
            actor_id=actor_id,
            stage=case.stage,
            colour=case.colour,
            assignee_id=case.assignee_id,
            note=reason,
            data={"repair": action},
        )
    )
