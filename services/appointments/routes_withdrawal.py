"""Residents withdraw an open online application or door-to-door request."""

from __future__ import annotations

from fastapi import APIRouter

from services.appointments import applications, home_visits
from services.appointments.deps import DeskDep, TemporalDep, WakeDep
from shared.contracts.appointments import ApplicationRead, HomeVisitRead, Withdrawal

router = APIRouter(prefix="/internal/v1")


@router.post("/applications/{app_id}/withdraw")
async def withdraw_application(
    d: DeskDep, w: WakeDep, app_id: str, body: Withdrawal
) -> ApplicationRead:
    a = await applications.withdraw(d, app_id, resident_id=body.resident_id, reason=body.reason)
    w()
    return ApplicationRead.model_validate(a)


@router.post("/home-visits/{visit_id}/withdraw")
async def withdraw_visit(
    d: DeskDep, w: WakeDep, t: TemporalDep, visit_id: str, body: Withdrawal
) -> HomeVisitRead:
    v = await home_visits.withdraw(d, t, visit_id, resident_id=body.resident_id, reason=body.reason)
    w()
    return HomeVisitRead.model_validate(v)
