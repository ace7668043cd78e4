"""The supervisors' stuck board for door-to-door visits and its repairs (internal API).

Every route answers within its deadline: 404 (no such visit), 409 (refused, with the reason),
422 (the field and why), 503 (the workflow engine did not answer, with the reason)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from temporalio.service import RPCError

from services.appointments import reconcile, runner, supervision
from services.appointments.calendar import now_utc
from services.appointments.deps import RuntimeDep, TemporalDep
from shared.contracts.appointments import HomeVisitRead
from shared.db import transaction
from shared.errors import problem

router = APIRouter(prefix="/internal/v1/supervision/home-visits")


class VisitRepair(BaseModel):
    actor_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=1000)


class VisitReconcileCreate(BaseModel):
    actor_id: str = Field(min_length=1, max_length=64)
    station: str | None = None


class VisitRetryRead(BaseModel):
    visit_id: str
    activities_reset: int


def _engine_down(exc: RPCError) -> object:
    return problem(503, f"the workflow engine did not answer: {exc.message}")


@router.get("")
async def stuck_visits(
    rt: RuntimeDep, t: TemporalDep, station: str | None = None
) -> supervision.VisitBoard:
    async with rt.factory() as s:
        late = await supervision.overdue(s, station=station, now=now_utc())
    return await supervision.board(late, t, station=station)


@router.post("/{visit_id}/retry", response_model=VisitRetryRead)
async def retry(rt: RuntimeDep, t: TemporalDep, visit_id: str, body: VisitRepair) -> object:
    try:
        n = await supervision.retry(t, visit_id, actor_id=body.actor_id)
    except RPCError as exc:
        return _engine_down(exc)
    async with transaction(rt.factory) as s:
        supervision.record_retry(s, visit_id, actor_id=body.actor_id, reason=body.reason)
    return VisitRetryRead(visit_id=visit_id, activities_reset=n)


class VisitWithoutRecord(BaseModel):
    """A terminated workflow whose visit the desk has no record of (nothing else to close)."""

    visit_id: str
    status: str = "terminated"


@router.post("/{visit_id}/terminate", response_model=HomeVisitRead | VisitWithoutRecord)
async def terminate(rt: RuntimeDep, t: TemporalDep, visit_id: str, body: VisitRepair) -> object:
    try:
        await supervision.terminate(t, visit_id, actor_id=body.actor_id, reason=body.reason)
    except RPCError as exc:
        return _engine_down(exc)
    async with transaction(rt.factory) as s:
        v = await supervision.close_row(s, visit_id, actor_id=body.actor_id, reason=body.reason)
    rt.wake_relay()
    return VisitWithoutRecord(visit_id=visit_id) if v is None else HomeVisitRead.model_validate(v)


@router.post("/reconcile", response_model=reconcile.VisitReconcileRead)
async def reconcile_now(rt: RuntimeDep, t: TemporalDep, body: VisitReconcileCreate) -> object:
    """The board's button: open visit rows compared with their workflows, drift repaired."""
    if t is None:
        return problem(503, supervision.NO_ENGINE)
    try:
        done = await runner.reconcile_visits(
            rt.factory, t, actor=body.actor_id, station=body.station
        )
    except RPCError as exc:
        return _engine_down(exc)
    if done.repaired:
        rt.wake_relay()
    return done
