"""How services start the door-to-door workflow and act on it (one helper per action)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from shared.temporal import SA_KIND, SA_STAGE, SA_VILLAGE, home_visit_workflow_id
from workflows.home_visits.types import (
    KIND,
    CancelInput,
    DoneInput,
    ScheduleInput,
    VisitInput,
    VisitState,
    WithdrawInput,
)
from workflows.home_visits.workflow import HomeVisitWorkflow


class VisitRefused(Exception):
    """The workflow refused the action (its validator's reason is the message)."""


async def start_visit(client: Client, inp: VisitInput, *, task_queue: str) -> None:
    try:
        await client.start_workflow(
            HomeVisitWorkflow.run,
            inp,
            id=home_visit_workflow_id(inp.visit_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(SA_KIND, KIND),
                    SearchAttributePair(SA_STAGE, "requested"),
                    SearchAttributePair(SA_VILLAGE, inp.village_code),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        pass  # a retried start: the visit is already running


async def _update(client: Client, visit_id: str, name: str, arg: object) -> VisitState:
    handle = client.get_workflow_handle(home_visit_workflow_id(visit_id))
    try:
        state: VisitState = await handle.execute_update(name, arg, result_type=VisitState)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        msg = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        raise VisitRefused(msg) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise VisitRefused("the visit is already closed") from None
        raise
    return state


async def schedule_visit(client: Client, visit_id: str, inp: ScheduleInput) -> VisitState:
    return await _update(client, visit_id, "schedule", inp)


async def reschedule_visit(client: Client, visit_id: str, inp: ScheduleInput) -> VisitState:
    return await _update(client, visit_id, "reschedule", inp)


async def visit_done(client: Client, visit_id: str, inp: DoneInput) -> VisitState:
    return await _update(client, visit_id, "done", inp)


async def cancel_visit(client: Client, visit_id: str, inp: CancelInput) -> VisitState:
    return await _update(client, visit_id, "cancel", inp)


async def withdraw_visit(client: Client, visit_id: str, inp: WithdrawInput) -> VisitState:
    return await _update(client, visit_id, "withdraw", inp)


async def visit_state(client: Client, visit_id: str) -> VisitState:
    handle = client.get_workflow_handle(home_visit_workflow_id(visit_id))
    return await handle.query(HomeVisitWorkflow.current)
