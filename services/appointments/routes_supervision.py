"""The supervisors' stuck board for door-to-door visits and its repairs (internal API).

Every route answers within its deadline: 404 (no such visit), 409 (refused, with the reason),
422 (the field and why), 503 (the workflow engine did not answer, with the reason)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from temporalio.service import RPCError

from services.appointments import supervision
from services.appointments.calendar import now_utc
from services.appointments.deps import RuntimeDep, TemporalDep
from services.appointments.home_visits import get_visit
from shared.contracts.appointments import HomeVisitRead
from shared.db import transaction
from shared.errors import problem

router = APIRouter(prefix="/internal/v1/supervision/home-visits")


class VisitRepair(BaseModel):
    actor_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=1000)


class VisitRetryRead(BaseModel):
    visit_id: str
    activities_reset: int


def _engine_down(exc: RPCError) -> object:
    return problem(503, f"the workflow engine did not answer: {exc.message}")


async def _found(rt: RuntimeDep, visit_id: str) -> None:
    async with rt.factory() as s:
        await get_visit(s, visit_id)  # 404 before the workflow engine is asked


@router.get("")
async def stuck_visits(
    rt: RuntimeDep, t: TemporalDep, station: str | None = None
) -> supervision.VisitBoard:
    async with rt.factory() as s:
        late = await supervision.overdue(s, station=station, now=now_utc())
    return await supervision.board(late, t, station=station)


@router.post("/{visit_id}/retry", response_model=VisitRetryRead)
async def retry(rt: RuntimeDep, t: TemporalDep, visit_id: str, body: VisitRepair) -> object:
    await _found(rt, visit_id)
    try:
        n = await supervision.retry(t, visit_id, actor_id=body.actor_id)
    except RPCError as exc:
        return _engine_down(exc)
    async with transaction(rt.factory) as s:
        supervision.record_retry(s, visit_id, actor_id=body.actor_id, reason=body.reason)
    return VisitRetryRead(visit_id=visit_id, activities_reset=n)


@router.post("/{visit_id}/terminate", response_model=HomeVisitRead)
async def terminate(rt: RuntimeDep, t: TemporalDep, visit_id: str, body: VisitRepair) -> object:
    await _found(rt, visit_id)
    try:
        await supervision.terminate(t, visit_id, actor_id=body.actor_id, reason=body.reason)
    except RPCError as exc:
        return _engine_down(exc)
    async with transaction(rt.factory) as s:
        v = await supervision.close_row(s, visit_id, actor_id=body.actor_id, reason=body.reason)
    rt.wake_relay()
    return HomeVisitRead.model_validate(v)
