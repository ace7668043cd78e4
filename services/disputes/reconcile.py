"""Projection reconciliation: open case rows compared with their workflows (no FastAPI here).

A workflow terminated, failed, timed out or reset behind the system's back leaves its case row
and tasks open forever (counted in officers' load, shown as idle). This closes them: the row
goes to `cancelled` with a `reconciled` timeline entry saying what the workflow did, and every
open task of the case is closed. A completed workflow whose last record was lost gets the stage
its own query reports; a running workflow whose row is missing gets it rebuilt (rebuild.py).
Each repair is logged and counted on /metrics
(`fq_projection_repairs_total{kind}`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from services.disputes import rebuild, service
from services.disputes.models import Case, Task, TimelineEntry
from shared.contracts.disputes_read import ReconcileRead, Repair
from shared.stages import LIVE_STAGES
from shared.temporal import dispute_workflow_id
from workflows.disputes.client import QUERY_NAME
from workflows.disputes.types import CaseView

log = logging.getLogger("fengqiao.disputes.reconcile")
RPC_TIMEOUT = timedelta(seconds=5)
REPAIRS = Counter(
    "fq_projection_repairs_total",
    "Case rows the reconciliation repaired, by what the workflow had done",
    ["kind"],
)
CLOSED = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.CANCELED: "canceled",
}


class NotRunning(Exception):
    pass


async def _status(client: Client, case_id: str) -> tuple[str | None, Any]:
    """(kind of repair needed or None, the description)."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return "missing", None
        raise
    if desc.status in CLOSED:
        return CLOSED[desc.status], desc
    if desc.status == WorkflowExecutionStatus.COMPLETED:
        return "completed", desc
    return None, desc


async def _final_stage(client: Client, case_id: str) -> str | None:
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        view = await handle.query(QUERY_NAME, result_type=CaseView, rpc_timeout=RPC_TIMEOUT)
    except Exception as exc:  # a closed workflow may not answer queries: leave the row
        log.warning("reconcile: query of completed case %s failed: %s", case_id, exc)
        return None
    return str(view.stage)


async def _close(
    session: AsyncSession, case: Case, *, kind: str, stage: str, now: datetime, actor: str
) -> int:
    note = f"workflow {kind}: the case was closed by reconciliation"
    seq = await session.scalar(
        select(func.coalesce(func.max(TimelineEntry.seq), 0)).where(
            TimelineEntry.case_id == case.case_id
        )
    )
    session.add(
        TimelineEntry(
            case_id=case.case_id,
            seq=int(seq or 0) + 1,
            at=now,
            kind="reconciled",
            actor_id=actor,
            stage=stage,
            colour=case.colour,
            assignee_id=case.assignee_id,
            note=note,
            data={"workflow": kind, "previous_stage": case.stage},
        )
    )
    if case.stage != stage:
        case.stage_since = now
    case.stage = stage
    case.stage_deadline = None
    case.closed_at = case.closed_at or now
    case.updated_at = now
    closed = await session.execute(
        update(Task)
        .where(Task.case_id == case.case_id, Task.closed_at.is_(None))
        .values(closed_at=now)
    )
    await service.audit(
        session, case_id=case.case_id, actor_id=actor, action="reconcile", reason=note, at=now
    )
    return int(getattr(closed, "rowcount", 0) or 0)


async def terminate(client: Client, case_id: str, *, reason: str) -> None:
    """End the case's workflow (a supervisor's last resort); the caller reconciles its row."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)  # RPCError NOT_FOUND: no such case
    if desc.status != WorkflowExecutionStatus.RUNNING:
        raise NotRunning(case_id)
    await handle.terminate(reason=reason, rpc_timeout=RPC_TIMEOUT)


async def reconcile(
    factory: async_sessionmaker[AsyncSession],
    client: Client,
    *,
    actor: str = "system",
    station: str | None = None,
    case_id: str | None = None,
    min_age: timedelta = rebuild.MIN_AGE,
    task_queue: str | None = None,
) -> ReconcileRead:
    """Compare every open case row (of `station`, or one case, or all) with its workflow, and
    (not for one case) every running workflow (of the service's `task_queue`) with its row;
    repair drift."""
    async with factory() as session:
        stmt = select(Case.case_id).where(Case.stage.in_(LIVE_STAGES))
        if station:
            stmt = stmt.where(Case.station_code == station)
        if case_id:
            stmt = stmt.where(Case.case_id == case_id)
        ids = list((await session.scalars(stmt)).all())
    repaired: list[Repair] = []
    for one in ids:
        kind, _ = await _status(client, one)
        if kind is None:
            continue
        stage = "cancelled"
        if kind == "completed":
            final = await _final_stage(client, one)
            if final is None:
                continue
            stage = final
        now = datetime.now(UTC)
        async with factory() as session, session.begin():
            case = await session.get(Case, one, with_for_update=True)
            if case is None or case.stage not in LIVE_STAGES:
                continue
            n = await _close(session, case, kind=kind, stage=stage, now=now, actor=actor)
        REPAIRS.labels(kind).inc()
        log.warning("reconcile: case %s: workflow %s, row closed as %s", one, kind, stage)
        repaired.append(Repair(case_id=one, kind=kind, stage=stage, tasks_closed=n))
    if case_id is None:
        found = await rebuild.running_without_row(
            factory, client, station=station, task_queue=task_queue, min_age=min_age
        )
        repaired += await _rebuild_missing(factory, client, actor, found)
    return ReconcileRead(checked=len(ids), repaired=repaired)


async def _rebuild_missing(
    factory: async_sessionmaker[AsyncSession],
    client: Client,
    actor: str,
    found: list[str],
) -> list[Repair]:
    out: list[Repair] = []
    for one in found:
        n = await rebuild.rebuild(factory, client, one, actor=actor)
        if n is None:
            continue
        REPAIRS.labels("missing_row").inc()
        log.warning("reconcile: case %s: row missing for a running workflow, rebuilt", one)
        async with factory() as session:
            case = await session.get(Case, one)
        stage = case.stage if case else ""
        out.append(
            Repair(case_id=one, kind="missing_row", stage=stage, tasks_closed=0, tasks_rebuilt=n)
        )
    return out
