"""What callers (the portal, the disputes service, tests) use to drive a dispute case."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from shared.contracts import disputes as contract
from shared.temporal import DISPUTES_TASK_QUEUE, SA_KIND, SA_VILLAGE, dispute_workflow_id
from workflows.disputes.rollout import LifecycleRollout
from workflows.disputes.rules_of_action import field_errors
from workflows.disputes.types import (
    ACTIONS,
    ActionRequest,
    Actor,
    CaseView,
    DisputeIntake,
    LifecycleDeadlines,
    ReassignInput,
    StartInput,
)

WORKFLOW_NAME = "DisputeWorkflow"
FIELD_REPORT_MAX_DAYS = contract.FIELD_REPORT_MAX_DAYS
UPDATE_NAME = "act"
QUERY_NAME = "view"
ROLLOUT_UPDATE = "roll-out-lifecycle"


class ActionRefused(Exception):
    """The workflow's validator (or handler) refused the action; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CaseNotFound(Exception):
    pass


def field_report_problem(intake: DisputeIntake, *, now: datetime) -> str | None:
    """Why `reported_in_field_at` is not acceptable, or None (shared.contracts.disputes)."""
    return contract.field_report_problem(intake.reporter_kind, intake.reported_in_field_at, now=now)


def new_case_id() -> str:
    return uuid.uuid4().hex[:16]


async def start_case(
    client: Client,
    intake: DisputeIntake,
    *,
    task_queue: str = DISPUTES_TASK_QUEUE,
    lifecycle: LifecycleDeadlines | None = None,
) -> str:
    """Start the lifecycle; returns the case id. Starting the same case id twice is a no-op.
    `lifecycle`: the deadlines and cadences of the policy in force (None: the worker's file)."""
    case_id = intake.case_id or new_case_id()
    reported = intake.reported_in_field_at or intake.reported_at or datetime.now(UTC)
    intake = intake.model_copy(update={"case_id": case_id, "reported_at": reported})
    try:
        await client.start_workflow(
            WORKFLOW_NAME,
            StartInput(intake=intake, lifecycle=lifecycle),
            id=dispute_workflow_id(case_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(SA_KIND, "dispute"),
                    SearchAttributePair(SA_VILLAGE, intake.village_code),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        pass
    return case_id


def _reason(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.message
        cause = cause.__cause__
    return str(err)


async def perform(
    client: Client,
    case_id: str,
    action: str,
    payload: BaseModel,
    actor: Actor,
    idempotency_key: str,
) -> CaseView:
    """Apply an officer/supervisor action. A retry with the same key acts once."""
    model = ACTIONS.get(action)
    if model is None:
        raise ActionRefused(f"unknown action {action!r}")
    try:
        model.model_validate(payload.model_dump())
    except ValidationError as exc:
        raise ActionRefused(f"invalid {action}: {field_errors(exc)}") from exc
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    request = ActionRequest(
        action=action,
        payload=payload.model_dump(mode="json"),
        actor=actor,
        idempotency_key=idempotency_key,
    )
    try:
        result = await handle.execute_update(
            UPDATE_NAME, request, id=f"{action}:{idempotency_key}", result_type=CaseView
        )
    except WorkflowUpdateFailedError as exc:
        raise ActionRefused(_reason(exc)) from exc
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        # the workflow may have finished (closed, cancelled): say so in the validator's words
        finished = await view(client, case_id)
        raise ActionRefused(f"{action} is not allowed in stage {finished.stage}") from exc
    assert isinstance(result, CaseView)
    return result


async def view(client: Client, case_id: str) -> CaseView:
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        result = await handle.query(QUERY_NAME, result_type=CaseView)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CaseNotFound(case_id) from exc
        raise
    assert isinstance(result, CaseView)
    return result


async def bulk_reassign(
    client: Client,
    case_ids: list[str],
    *,
    officer_id: str,
    reason: str,
    actor: Actor,
    idempotency_key: str,
) -> dict[str, str | None]:
    """Reassign many cases (an officer leaves); per case None, or the reason it was refused."""
    payload = ReassignInput(officer_id=officer_id, reason=reason)

    async def one(case_id: str) -> str | None:
        try:
            await perform(
                client, case_id, "reassign", payload, actor, f"{idempotency_key}:{case_id}"
            )
        except ActionRefused as exc:
            return exc.reason
        except CaseNotFound:
            return "case not found"
        return None

    results = await asyncio.gather(*(one(c) for c in case_ids))
    return dict(zip(case_ids, results, strict=True))


async def roll_out_lifecycle(client: Client, case_id: str, rollout: LifecycleRollout) -> CaseView:
    """Send one case a new lifecycle configuration; ActionRefused says why a case refused."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        result = await handle.execute_update(
            ROLLOUT_UPDATE,
            rollout,
            id=f"lifecycle:{rollout.idempotency_key or rollout.version}",
            result_type=CaseView,
        )
    except WorkflowUpdateFailedError as exc:
        raise ActionRefused(_reason(exc)) from exc
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        raise ActionRefused("the case is finished: nothing to roll out to") from exc
    assert isinstance(result, CaseView)
    return result
