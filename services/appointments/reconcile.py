"""Home-visit rows compared with their workflows (no FastAPI here).

A visit workflow terminated, failed or timed out behind the system's back (or gone) leaves its
row open forever: the officer's task stays, the board shows it overdue. This closes such rows
(`cancelled`, with the HomeVisitCancelled event so the resident and officer are told, and a
`reconciled` audit entry saying what the workflow did). A completed workflow whose last
transition was lost gets the stage its own query reports. Each repair is logged and counted on
/metrics (`fq_home_visit_repairs_total{kind}`), as the disputes projection's are.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from services.appointments.calendar import now_utc
from services.appointments.context import audit
from services.appointments.home_visits import EVENTS, OPEN, _event
from services.appointments.models import HomeVisit, outbox
from shared.messaging import contracts as c
from shared.messaging.events import deterministic_event_id
from shared.messaging.outbox import add_event
from shared.temporal import home_visit_workflow_id
from workflows.home_visits import client as wf

log = logging.getLogger("fengqiao.appointments.reconcile")
RPC_TIMEOUT = timedelta(seconds=5)
BATCH = 500
REPAIRS = Counter(
    "fq_home_visit_repairs_total",
    "Home-visit rows the reconciliation repaired, by what the workflow had done",
    ["kind"],
)
CLOSED = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.CANCELED: "canceled",
}


class VisitRepairRow(BaseModel):
    visit_id: str
    kind: str  # terminated | failed | timed_out | canceled | missing | completed
    status: str  # the row's status after the repair


class VisitReconcileRead(BaseModel):
    checked: int
    repaired: list[VisitRepairRow]


async def needed(client: Client, visit_id: str) -> tuple[str | None, str]:
    """(kind of repair or None, the status the row should get)."""
    handle = client.get_workflow_handle(home_visit_workflow_id(visit_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return "missing", "cancelled"
        raise
    if desc.status in CLOSED:
        return CLOSED[desc.status], "cancelled"
    if desc.status == WorkflowExecutionStatus.COMPLETED:
        try:
            state = await wf.visit_state(client, visit_id)
        except Exception as exc:  # a closed workflow may not answer queries: leave the row
            log.warning("reconcile: query of completed visit %s failed: %s", visit_id, exc)
            return None, ""
        if state.stage in OPEN:
            return None, ""
        return "completed", state.stage
    return None, ""


async def close(s: AsyncSession, visit_id: str, *, kind: str, status: str, actor: str) -> bool:
    """Close a drifted row in the caller's unit of work; False when it is no longer open."""
    note = f"workflow {kind}: the visit was closed by reconciliation"
    v = await s.get(HomeVisit, visit_id, with_for_update=True)
    if v is None or v.status not in OPEN:
        return False
    v.status, v.seq, v.due_at = status, v.seq + 1, None
    if status == "done":
        v.done_at = v.done_at or now_utc()
    audit(s, "home_visit", v.id, "reconciled", actor, reason=note)
    cls = EVENTS.get(status, c.appointments.HomeVisitCancelled)
    extra: dict[str, object] = {"reason": note} if status == "cancelled" else {}
    event = _event(cls, v, **extra).model_copy(
        update={"event_id": deterministic_event_id("home_visit", v.id, v.seq)}
    )
    await add_event(s, outbox, event)
    return True


async def open_started(s: AsyncSession, station: str | None = None) -> list[str]:
    """Open visit rows whose workflow was started (of `station`, or all), oldest first; a row
    whose workflow was never started is the pending-start job's."""
    q = select(HomeVisit.id).where(HomeVisit.status.in_(OPEN), HomeVisit.workflow_started.is_(True))
    if station:
        q = q.where(HomeVisit.station_code == station)
    return list((await s.scalars(q.order_by(HomeVisit.created_at).limit(BATCH))).all())


def repaired(visit_id: str, kind: str, status: str) -> VisitRepairRow:
    REPAIRS.labels(kind).inc()
    log.warning("reconcile: home visit %s: workflow %s, row closed as %s", visit_id, kind, status)
    return VisitRepairRow(visit_id=visit_id, kind=kind, status=status)
