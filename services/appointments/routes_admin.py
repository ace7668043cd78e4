"""Routes of the desk administration (/internal/v1/admin/desk/...): thin adapters of
services/appointments/desk_admin.py."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments import desk_admin as da
from services.appointments.deps import DeskDep, RuntimeDep, SessionDep
from services.appointments.refit import Refit
from shared.contracts.appointments import ClosureCreate
from shared.contracts.appointments_desk import (
    Change,
    ClosureDelete,
    ClosureOut,
    ClosureSaved,
    HoursOut,
    HoursUpdate,
    OfficeDetail,
    OfficeSaved,
    OfficeUpdate,
    SeatsOut,
    SeatsUpdate,
    ServiceOut,
    ServiceSaved,
    ServiceUpdate,
    ToMove,
    WindowOut,
    WindowsUpdate,
)
from shared.db import transaction

router = APIRouter(prefix="/internal/v1/admin/desk", tags=["admin"])


def _change(done: Refit) -> Change:
    return Change(listed=done.listed, restored=done.restored)


@router.put("/services/{code}")
async def save_service(rt: RuntimeDep, d: DeskDep, code: str, body: ServiceUpdate) -> ServiceSaved:
    spec = da.ServiceSpec(
        name=body.name.strip(),
        name_en=body.name_en.strip(),
        category=body.category.strip(),
        checklist=[x.strip() for x in body.checklist],
        promised_days=body.promised_days,
        ways=list(body.ways),
    )
    async with transaction(rt.factory) as s:
        svc, done = await da.save_service(s, d, code, spec, actor_id=body.actor_id)
    rt.wake_relay()
    return ServiceSaved(service=ServiceOut.model_validate(svc), change=_change(done))


async def _detail(s: AsyncSession, code: str) -> OfficeDetail:
    office, hours, seats, windows, closures = await da.office_detail(s, code)
    return OfficeDetail(
        code=office.code,
        name=office.name,
        kind=office.kind,
        county_code=office.county_code,
        station_code=office.station_code,
        address=office.address,
        slot_minutes=office.slot_minutes,
        always_open=office.always_open,
        services=office.services,
        hours=[HoursOut.model_validate(h) for h in hours],
        seats=[SeatsOut.model_validate(x) for x in seats],
        windows=[WindowOut.model_validate(x) for x in windows],
        closures=[ClosureOut.model_validate(x) for x in closures],
    )


@router.get("/offices/{code}")
async def office_detail(session: SessionDep, code: str) -> OfficeDetail:
    return await _detail(session, code)


@router.put("/offices/{code}")
async def save_office(rt: RuntimeDep, d: DeskDep, code: str, body: OfficeUpdate) -> OfficeSaved:
    spec = da.OfficeSpec(
        name=body.name.strip(),
        kind=body.kind,
        county_code=body.county_code,
        station_code=body.station_code or None,
        address=body.address.strip(),
        slot_minutes=body.slot_minutes,
        always_open=body.always_open,
        services=body.services,
    )
    async with transaction(rt.factory) as s:
        _, done = await da.save_office(s, d, code, spec, actor_id=body.actor_id)
        saved = await _detail(s, code)
    rt.wake_relay()
    return OfficeSaved(office=saved, change=_change(done))


@router.put("/offices/{code}/hours")
async def set_hours(rt: RuntimeDep, d: DeskDep, code: str, body: HoursUpdate) -> Change:
    periods = [da.HoursSpec(p.weekday, p.opens, p.closes, p.extended) for p in body.hours]
    async with transaction(rt.factory) as s:
        done = await da.set_hours(s, d, code, periods, actor_id=body.actor_id)
    rt.wake_relay()
    return _change(done)


@router.put("/offices/{code}/seats")
async def set_seats(rt: RuntimeDep, d: DeskDep, code: str, body: SeatsUpdate) -> Change:
    seats: dict[str, int] = {str(k): v for k, v in body.seats.items()}
    async with transaction(rt.factory) as s:
        done = await da.set_seats(s, d, code, seats, actor_id=body.actor_id)
    rt.wake_relay()
    return _change(done)


@router.put("/offices/{code}/windows")
async def set_windows(rt: RuntimeDep, code: str, body: WindowsUpdate) -> list[WindowOut]:
    windows = [da.WindowSpec(x.code, x.name.strip(), x.always_open) for x in body.windows]
    async with transaction(rt.factory) as s:
        rows = await da.set_windows(s, code, windows, actor_id=body.actor_id)
    return [WindowOut.model_validate(x) for x in rows]


@router.post("/closures", status_code=201)
async def add_closure(rt: RuntimeDep, d: DeskDep, body: ClosureCreate) -> ClosureSaved:
    async with transaction(rt.factory) as s:
        closure, done = await da.add_closure(
            s,
            d,
            office_code=body.office_code,
            day=body.day,
            reason=body.reason,
            actor_id=body.actor_id,
        )
    rt.wake_relay()
    return ClosureSaved(closure=ClosureOut.model_validate(closure), change=_change(done))


@router.post("/closures/{office_code}/{day}/delete")
async def remove_closure(
    rt: RuntimeDep, d: DeskDep, office_code: str, day: date, body: ClosureDelete
) -> Change:
    async with transaction(rt.factory) as s:
        done = await da.remove_closure(
            s, d, office_code=office_code, day=day, actor_id=body.actor_id
        )
    rt.wake_relay()
    return _change(done)


@router.get("/to-move")
async def to_move(
    session: SessionDep,
    office: str | None = Query(None),
    station: str | None = Query(None),
) -> list[ToMove]:
    return [
        ToMove(
            booking_code=b.code,
            resident_id=b.resident_id,
            service_code=b.service_code,
            office_code=b.office_code,
            way=b.way,
            starts_at=b.starts_at,
            status=b.status,
            cause=i.cause,
            detected_at=i.detected_at,
        )
        for i, b in await da.to_move(session, office_code=office, station_code=station)
    ]
