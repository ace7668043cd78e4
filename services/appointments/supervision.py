"""Door-to-door visits on the supervisors' stuck board, and their repairs (no FastAPI here).

Overdue visits come from the service's own rows (an open visit past its `due_at`); technically
stuck ones from one visibility query (the workflow's FqTrouble flag while an activity keeps
failing, or the server's TemporalReportedProblems while its workflow task does), then one
describe per flagged visit. Retry-now resets the backing-off activity (ResetActivity); terminate
ends the workflow and closes the row, so the officer's task goes with it. Every Temporal call
has a deadline.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import ResetActivityRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from services.appointments.calendar import utc
from services.appointments.context import audit
from services.appointments.errors import Conflict, NotFound
from services.appointments.home_visits import OPEN, _event
from services.appointments.models import HomeVisit, outbox
from shared.messaging import contracts as c
from shared.messaging.events import deterministic_event_id
from shared.messaging.outbox import add_event
from shared.temporal import (
    SA_ASSIGNEE,
    SA_STATION,
    SA_TROUBLE,
    STUCK_AFTER_ATTEMPTS,
    home_visit_workflow_id,
)

log = logging.getLogger("fengqiao.appointments.supervision")
RPC_TIMEOUT = timedelta(seconds=5)
FLAGGED = "(FqTrouble IS NOT NULL OR TemporalReportedProblems IS NOT NULL)"
NO_ENGINE = "the workflow engine is not reachable; try again shortly"


class VisitStuckRow(BaseModel):
    """One home visit on the board. `code`: overdue (past its stage deadline) | activity (an
    activity keeps failing) | workflow_task (the workflow's task keeps failing)."""

    visit_id: str
    kind: str  # business | technical
    code: str
    why: str  # the same in English words
    stage: str | None = None
    station_code: str | None = None
    assignee_id: str | None = None
    village_code: str | None = None
    service_code: str | None = None
    deadline: datetime | None = None
    since: datetime | None = None
    escalated: bool = False
    activity: str | None = None
    attempts: int | None = None
    last_failure: str | None = None


class VisitBoard(BaseModel):
    items: list[VisitStuckRow]
    # false when the workflow engine did not answer: technical rows may be missing
    technical_checked: bool = True


def _ts(value: object) -> datetime | None:
    seconds = getattr(value, "seconds", 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


async def overdue(s: AsyncSession, *, station: str | None, now: datetime) -> list[VisitStuckRow]:
    q = select(HomeVisit).where(HomeVisit.status.in_(OPEN), HomeVisit.due_at < now)
    if station:
        q = q.where(HomeVisit.station_code == station)
    rows = (await s.scalars(q.order_by(HomeVisit.due_at).limit(500))).all()
    return [
        VisitStuckRow(
            visit_id=v.id,
            kind="business",
            code="overdue",
            why=f"{v.status}: past its deadline",
            stage=v.status,
            station_code=v.station_code,
            assignee_id=v.officer_id,
            village_code=v.village_code,
            service_code=v.service_code,
            deadline=utc(v.due_at) if v.due_at else None,
            since=utc(v.due_at) if v.due_at else None,
            escalated=v.escalated,
        )
        for v in rows
    ]


async def technical(client: Client, *, station: str | None) -> list[VisitStuckRow]:
    query = "FqKind = 'home_visit' AND ExecutionStatus = 'Running'"
    if station:
        safe = station.replace("'", "")
        query += f" AND (FqStation = '{safe}' OR FqStation IS NULL)"
    try:
        found = [
            wf
            async for wf in client.list_workflows(
                f"{query} AND {FLAGGED}", limit=500, rpc_timeout=RPC_TIMEOUT
            )
        ]
    except RPCError as exc:
        if exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        # a server older than 1.29 has no TemporalReportedProblems: our own flag only
        found = [
            wf
            async for wf in client.list_workflows(
                f"{query} AND FqTrouble IS NOT NULL", limit=500, rpc_timeout=RPC_TIMEOUT
            )
        ]
    out: list[VisitStuckRow] = []
    for wf in found:
        desc = await client.get_workflow_handle(wf.id, run_id=wf.run_id).describe(
            rpc_timeout=RPC_TIMEOUT
        )
        raw, st = desc.raw_description, wf.typed_search_attributes
        base = dict(
            visit_id=wf.id.removeprefix("home-visit-"),
            kind="technical",
            station_code=st.get(SA_STATION) or None,
            assignee_id=st.get(SA_ASSIGNEE) or None,
        )
        earlier = STUCK_AFTER_ATTEMPTS if st.get(SA_TROUBLE) else 0
        for pa in raw.pending_activities:
            if not earlier and pa.attempt < 2:
                continue
            failure = pa.last_failure.message or "no failure recorded"
            attempt = earlier + pa.attempt
            name = pa.activity_type.name
            out.append(
                VisitStuckRow(
                    **base,
                    code="activity",
                    why=f"activity {name} at attempt {attempt}: {failure}",
                    activity=name,
                    attempts=attempt,
                    last_failure=failure,
                    since=_ts(pa.scheduled_time) or _ts(pa.last_started_time),
                )
            )
        wt = raw.pending_workflow_task
        if wt.attempt > 1:
            out.append(
                VisitStuckRow(
                    **base,
                    code="workflow_task",
                    why=f"workflow task failing (attempt {wt.attempt})",
                    attempts=wt.attempt,
                    since=_ts(wt.scheduled_time),
                )
            )
    return out


async def board(
    overdue_rows: list[VisitStuckRow], client: Client | None, *, station: str | None
) -> VisitBoard:
    """The overdue rows (`overdue`, from the database) and the technically stuck ones."""
    rows = list(overdue_rows)
    if client is None:
        return VisitBoard(items=rows, technical_checked=False)
    try:
        rows += await technical(client, station=station)
    except RPCError as exc:
        log.warning("home-visit board: the workflow engine did not answer: %s", exc)
        return VisitBoard(items=rows, technical_checked=False)
    return VisitBoard(items=rows)


async def _running(client: Client | None, visit_id: str) -> tuple[Client, int]:
    """The client and the number of pending activities of the visit's running workflow."""
    if client is None:
        raise Conflict(NO_ENGINE)
    handle = client.get_workflow_handle(home_visit_workflow_id(visit_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(f"no workflow for home visit {visit_id}") from None
        raise
    if desc.status != WorkflowExecutionStatus.RUNNING:
        raise Conflict("the visit's workflow is not running")
    return client, len(desc.raw_description.pending_activities)


async def retry(client: Client | None, visit_id: str, *, actor_id: str) -> int:
    """Make the visit's backing-off activities retry now (the caller audits the repair,
    `record_retry`). Returns how many. The workflow is what is repaired: a visit whose desk
    record is missing (restored from an older backup) is repaired the same way."""
    client, pending = await _running(client, visit_id)
    if not pending:
        raise Conflict("no activity of this visit is waiting to be retried")
    await client.workflow_service.reset_activity(
        ResetActivityRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=home_visit_workflow_id(visit_id)),
            identity=actor_id,
            match_all=True,
            reset_heartbeat=True,
        ),
        timeout=RPC_TIMEOUT,
    )
    return pending


def record_retry(s: AsyncSession, visit_id: str, *, actor_id: str, reason: str) -> None:
    audit(s, "home_visit", visit_id, "retry", actor_id, reason=reason)


async def terminate(client: Client | None, visit_id: str, *, actor_id: str, reason: str) -> None:
    """End the visit's workflow with the reason (the caller closes its row after, `close_row`:
    the officer's task is the open row, so it goes too). A workflow whose visit has no desk
    record is ended all the same."""
    client, _ = await _running(client, visit_id)
    handle = client.get_workflow_handle(home_visit_workflow_id(visit_id))
    await handle.terminate(reason=f"{actor_id}: {reason}", rpc_timeout=RPC_TIMEOUT)


async def close_row(
    s: AsyncSession, visit_id: str, *, actor_id: str, reason: str
) -> HomeVisit | None:
    """Audited; the resident and officer are told by the cancelled event. None: the desk has no
    record of the visit (its workflow was ended all the same)."""
    text = f"workflow terminated by a supervisor: {reason.strip()}"
    audit(s, "home_visit", visit_id, "terminated", actor_id, reason=reason)
    v = await s.get(HomeVisit, visit_id, with_for_update=True)
    if v is None:
        return None
    if v.status in OPEN:
        v.status, v.seq, v.due_at = "cancelled", v.seq + 1, None
        event = _event(c.appointments.HomeVisitCancelled, v, reason=text).model_copy(
            update={"event_id": deterministic_event_id("home_visit", v.id, v.seq)}
        )
        await add_event(s, outbox, event)
    return v
