"""Residents withdraw an open online application or door-to-door request."""

from __future__ import annotations

from fastapi import APIRouter

from services.appointments import applications, home_visits
from services.appointments.deps import RuntimeDep, TemporalDep
from shared.contracts.appointments import ApplicationRead, HomeVisitRead, Withdrawal
from shared.db import transaction

router = APIRouter(prefix="/internal/v1")


@router.post("/applications/{app_id}/withdraw")
async def withdraw_application(rt: RuntimeDep, app_id: str, body: Withdrawal) -> ApplicationRead:
    async with transaction(rt.factory) as s:
        a = await applications.withdraw(s, app_id, resident_id=body.resident_id, reason=body.reason)
    rt.wake_relay()
    return ApplicationRead.model_validate(a)


@router.post("/home-visits/{visit_id}/withdraw")
async def withdraw_visit(
    rt: RuntimeDep, t: TemporalDep, visit_id: str, body: Withdrawal
) -> HomeVisitRead:
    """Cancelled here when its workflow never started; otherwise by the workflow."""
    async with transaction(rt.factory) as s:
        v = await home_visits.withdraw_unstarted(
            s, visit_id, resident_id=body.resident_id, reason=body.reason
        )
    if v is None:
        await home_visits.withdraw_running(
            t, visit_id, resident_id=body.resident_id, reason=body.reason
        )
        async with rt.factory() as s:
            v = await home_visits.get_visit(s, visit_id)
    rt.wake_relay()
    return HomeVisitRead.model_validate(v)
