"""Routes of the desk administration (/internal/v1/admin/desk/...): thin adapters of
services/appointments/desk_admin.py."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from services.appointments import desk_admin as da
from services.appointments.admin_schemas import (
    ChangeRead,
    ClosureDelete,
    ClosureSaved,
    DeskWindowRead,
    HoursRead,
    HoursUpdate,
    OfficeDetail,
    OfficeSaved,
    OfficeUpdate,
    SeatsRead,
    SeatsUpdate,
    ServiceSaved,
    ServiceUpdate,
    ToMoveRead,
    WindowsUpdate,
)
from services.appointments.deps import DeskDep, WakeDep
from services.appointments.refit import Refit
from shared.contracts.appointments import ClosureCreate, ClosureRead, ServiceRead

router = APIRouter(prefix="/internal/v1/admin/desk", tags=["admin"])


def _change(done: Refit) -> ChangeRead:
    return ChangeRead(listed=done.listed, restored=done.restored)


@router.put("/services/{code}")
async def save_service(d: DeskDep, w: WakeDep, code: str, body: ServiceUpdate) -> ServiceSaved:
    spec = da.ServiceSpec(
        name=body.name.strip(),
        name_en=body.name_en.strip(),
        category=body.category.strip(),
        checklist=[x.strip() for x in body.checklist],
        promised_days=body.promised_days,
        ways=list(body.ways),
    )
    svc, done = await da.save_service(d, code, spec, actor_id=body.actor_id)
    w()
    return ServiceSaved(service=ServiceRead.model_validate(svc), change=_change(done))


async def _detail(d: DeskDep, code: str) -> OfficeDetail:
    office, hours, seats, windows, closures = await da.office_detail(d, code)
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
        hours=[HoursRead.model_validate(h) for h in hours],
        seats=[SeatsRead.model_validate(x) for x in seats],
        windows=[DeskWindowRead.model_validate(x) for x in windows],
        closures=[ClosureRead.model_validate(x) for x in closures],
    )


@router.get("/offices/{code}")
async def office_detail(d: DeskDep, code: str) -> OfficeDetail:
    return await _detail(d, code)


@router.put("/offices/{code}")
async def save_office(d: DeskDep, w: WakeDep, code: str, body: OfficeUpdate) -> OfficeSaved:
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
    _, done = await da.save_office(d, code, spec, actor_id=body.actor_id)
    w()
    return OfficeSaved(office=await _detail(d, code), change=_change(done))


@router.put("/offices/{code}/hours")
async def set_hours(d: DeskDep, w: WakeDep, code: str, body: HoursUpdate) -> ChangeRead:
    periods = [da.HoursSpec(p.weekday, p.opens, p.closes, p.extended) for p in body.hours]
    done = await da.set_hours(d, code, periods, actor_id=body.actor_id)
    w()
    return _change(done)


@router.put("/offices/{code}/seats")
async def set_seats(d: DeskDep, w: WakeDep, code: str, body: SeatsUpdate) -> ChangeRead:
    seats: dict[str, int] = {str(k): v for k, v in body.seats.items()}
    done = await da.set_seats(d, code, seats, actor_id=body.actor_id)
    w()
    return _change(done)


@router.put("/offices/{code}/windows")
async def set_windows(d: DeskDep, code: str, body: WindowsUpdate) -> list[DeskWindowRead]:
    rows = await da.set_windows(
        d,
        code,
        [da.WindowSpec(x.code, x.name.strip(), x.always_open) for x in body.windows],
        actor_id=body.actor_id,
    )
    return [DeskWindowRead.model_validate(x) for x in rows]


@router.post("/closures", status_code=201)
async def add_closure(d: DeskDep, w: WakeDep, body: ClosureCreate) -> ClosureSaved:
    closure, done = await da.add_closure(
        d, office_code=body.office_code, day=body.day, reason=body.reason, actor_id=body.actor_id
    )
    w()
    return ClosureSaved(closure=ClosureRead.model_validate(closure), change=_change(done))


@router.post("/closures/{office_code}/{day}/delete")
async def remove_closure(
    d: DeskDep, w: WakeDep, office_code: str, day: date, body: ClosureDelete
) -> ChangeRead:
    done = await da.remove_closure(d, office_code=office_code, day=day, actor_id=body.actor_id)
    w()
    return _change(done)


@router.get("/to-move")
async def to_move(
    d: DeskDep,
    office: str | None = Query(None),
    station: str | None = Query(None),
) -> list[ToMoveRead]:
    return [
        ToMoveRead(
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
        for i, b in await da.to_move(d, office_code=office, station_code=station)
    ]
