"""Routes of the door-to-door visits (`/internal/v1/home-visits`, internal token): thin
adapters. A request commits first, then its workflow is started (runner.py); an officer's
action goes to the running workflow once the visit is found."""

from __future__ import annotations

from fastapi import APIRouter

from services.appointments import directory, home_visits, runner
from services.appointments.deps import DeskDep, RuntimeDep, SessionDep, TemporalDep
from shared.contracts.appointments import (
    HomeVisitAction,
    HomeVisitCreate,
    HomeVisitRead,
    VisitStateRead,
)
from shared.db import transaction
from workflows.home_visits.types import Assignment, VisitChange

router = APIRouter(prefix="/internal/v1")


@router.post("/home-visits", status_code=201)
async def request_visit(
    rt: RuntimeDep, d: DeskDep, t: TemporalDep, body: HomeVisitCreate
) -> HomeVisitRead:
    async with transaction(rt.factory) as s:
        v = await home_visits.request_visit(
            s,
            resident_id=body.resident_id,
            village_code=body.village_code,
            service_code=body.service_code,
            reason=body.reason,
            address=body.address,
            phone=body.phone,
        )
    rt.wake_relay()
    await runner.start_visit(rt.factory, d, t, v)
    return HomeVisitRead.model_validate(v)


@router.get("/home-visits")
async def list_visits(session: SessionDep, resident_id: str | None = None) -> list[HomeVisitRead]:
    return [
        HomeVisitRead.model_validate(v)
        for v in await home_visits.visits(session, resident_id=resident_id)
    ]


@router.get("/home-visits/{visit_id}")
async def get_visit(
    session: SessionDep, visit_id: str, resident_id: str | None = None
) -> HomeVisitRead:
    return HomeVisitRead.model_validate(
        await home_visits.get_visit(session, visit_id, resident_id=resident_id)
    )


@router.post("/home-visits/{visit_id}/actions")
async def visit_action(
    rt: RuntimeDep, t: TemporalDep, visit_id: str, body: HomeVisitAction
) -> VisitStateRead:
    async with rt.factory() as s:
        await home_visits.get_visit(s, visit_id)  # 404 before the workflow is asked
    state = await home_visits.act(
        t,
        visit_id,
        action=body.action,
        actor_id=body.actor_id,
        scheduled_at=body.scheduled_at,
        reason=body.reason,
    )
    return VisitStateRead(
        visit_id=state.visit_id,
        stage=state.stage,
        officer_id=state.officer_id,
        scheduled_at=state.scheduled_at,
        deadline=state.deadline,
        escalated=state.escalated,
    )


@router.post("/home-visits/{visit_id}/sync", include_in_schema=False)
async def visit_sync(rt: RuntimeDep, visit_id: str, body: VisitChange) -> dict[str, bool]:
    async with transaction(rt.factory) as s:
        applied = await home_visits.apply_change(s, body)
    rt.wake_relay()
    return {"applied": applied}


@router.get("/directory/villages/{village_code}/assignment", include_in_schema=False)
async def village_assignment(session: SessionDep, village_code: str) -> Assignment:
    """For the home-visits worker: who serves the village (from the directory replica)."""
    return await directory.assignment_for(session, village_code)
