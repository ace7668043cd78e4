"""The supervisors' stuck board for door-to-door visits and its repairs (internal API).

Every route answers within its deadline: 404 (no such visit), 409 (refused, with the reason),
422 (the field and why), 503 (the workflow engine did not answer, with the reason)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from temporalio.service import RPCError

from services.appointments import reconcile, supervision
from services.appointments.deps import DeskDep, TemporalDep, WakeDep
from shared.contracts.appointments import HomeVisitRead
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
    d: DeskDep, t: TemporalDep, station: str | None = None
) -> supervision.VisitBoard:
    return await supervision.board(d, t, station=station)


@router.post("/{visit_id}/retry", response_model=VisitRetryRead)
async def retry(d: DeskDep, t: TemporalDep, visit_id: str, body: VisitRepair) -> object:
    try:
        n = await supervision.retry(d, t, visit_id, actor_id=body.actor_id, reason=body.reason)
    except RPCError as exc:
        return _engine_down(exc)
    return VisitRetryRead(visit_id=visit_id, activities_reset=n)


class VisitWithoutRecord(BaseModel):
    """A terminated workflow whose visit the desk has no record of (nothing else to close)."""

    visit_id: str
    status: str = "terminated"


@router.post("/{visit_id}/terminate", response_model=HomeVisitRead | VisitWithoutRecord)
async def terminate(
    d: DeskDep, w: WakeDep, t: TemporalDep, visit_id: str, body: VisitRepair
) -> object:
    try:
        v = await supervision.terminate(d, t, visit_id, actor_id=body.actor_id, reason=body.reason)
    except RPCError as exc:
        return _engine_down(exc)
    w()
    return VisitWithoutRecord(visit_id=visit_id) if v is None else HomeVisitRead.model_validate(v)


@router.post("/reconcile", response_model=reconcile.VisitReconcileRead)
async def reconcile_now(
    d: DeskDep, w: WakeDep, t: TemporalDep, body: VisitReconcileCreate
) -> object:
    """The board's button: open visit rows compared with their workflows, drift repaired."""
    if t is None:
        return problem(503, supervision.NO_ENGINE)
    try:
        done = await reconcile.reconcile(d, t, actor=body.actor_id, station=body.station)
    except RPCError as exc:
        return _engine_down(exc)
    if done.repaired:
        w()
    return done
