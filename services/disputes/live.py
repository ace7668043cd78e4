"""The disputes service's calls into its own workflows, each with a deadline.

The portal holds no Temporal client for disputes: it asks this service, which owns the
workflows. Every call here is bounded (`rpc_timeout` on the RPC, `asyncio.wait_for` around any
wait for a workflow), so a case whose activity keeps failing answers "busy, and why" instead of
hanging the request.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from shared.temporal import dispute_workflow_id
from workflows.disputes.client import QUERY_NAME, UPDATE_NAME
from workflows.disputes.rules_of_action import field_errors
from workflows.disputes.types import ACTIONS, ActionRequest, Actor, CaseView

RPC_TIMEOUT = timedelta(seconds=5)
# How long an action may wait for the workflow to finish it before the caller hears "busy".
ACTION_WAIT = timedelta(seconds=8)


class CaseMissing(Exception):
    """No workflow of that case id (never started, or long gone)."""


class Refused(Exception):
    """The workflow refused the action (validator or handler); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Busy(Exception):
    """The workflow did not answer within the deadline; `reason` says what it is waiting on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidPayload(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.message
        if isinstance(cause, WorkflowQueryRejectedError):
            return str(cause)
        cause = cause.__cause__
    return str(err)


async def waiting_on(client: Client, case_id: str) -> str:
    """In words, what the case's workflow is stuck on (for a "busy" answer)."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError:
        return "the workflow engine did not answer in time"
    raw = desc.raw_description
    for pa in raw.pending_activities:
        if pa.attempt > 1:
            failure = pa.last_failure.message or "no failure recorded"
            return f"step {pa.activity_type.name} keeps failing (attempt {pa.attempt}: {failure})"
    if raw.pending_workflow_task.attempt > 1:
        return f"its workflow task keeps failing (attempt {raw.pending_workflow_task.attempt})"
    return "the case's worker did not answer in time"


async def view(client: Client, case_id: str) -> CaseView:
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        result = await handle.query(QUERY_NAME, result_type=CaseView, rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CaseMissing(case_id) from exc
        if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.FAILED_PRECONDITION):
            raise Busy(await waiting_on(client, case_id)) from exc
        raise
    except WorkflowQueryFailedError as exc:
        raise Refused(_reason(exc) or str(exc)) from exc
    assert isinstance(result, CaseView)
    return result


def request_for(
    action: str, payload: dict[str, Any], actor: Actor, idempotency_key: str
) -> ActionRequest:
    model = ACTIONS.get(action)
    if model is None:
        raise InvalidPayload(f"unknown action {action!r}")
    try:
        parsed = model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload(field_errors(exc)) from exc
    return ActionRequest(
        action=action,
        payload=parsed.model_dump(mode="json"),
        actor=actor,
        idempotency_key=idempotency_key,
    )


async def perform(client: Client, case_id: str, req: ActionRequest) -> CaseView:
    """The action through the workflow's update, bounded: accepted within RPC_TIMEOUT and done
    within ACTION_WAIT, or Busy with what the workflow is waiting on. The update id is the
    idempotency key, so asking again attaches to the same update (it acts once)."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        update = await handle.start_update(
            UPDATE_NAME,
            req,
            id=f"{req.action}:{req.idempotency_key}",
            result_type=CaseView,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            rpc_timeout=RPC_TIMEOUT,
        )
        result = await asyncio.wait_for(
            update.result(rpc_timeout=ACTION_WAIT), ACTION_WAIT.total_seconds() + 1
        )
    except WorkflowUpdateFailedError as exc:
        raise Refused(_reason(exc)) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise Busy(await waiting_on(client, case_id)) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            try:
                finished = await view(client, case_id)
            except CaseMissing:
                raise CaseMissing(case_id) from exc
            raise Refused(f"{req.action} is not allowed in stage {finished.stage}") from exc
        if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise Busy(await waiting_on(client, case_id)) from exc
        raise
    assert isinstance(result, CaseView)
    return result
