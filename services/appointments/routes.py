"""Routes of the internal API (`/internal/v1/...`, internal token required): thin adapters."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Response

from services.appointments import (
    applications,
    bookings,
    catalogue,
    runner,
    staff,
)
from services.appointments.context import audit_trail as audit_of
from services.appointments.deps import DeskDep, RuntimeDep, SessionDep, TemporalDep
from shared.contracts.appointments import (
    ApplicationCreate,
    ApplicationDecision,
    ApplicationRead,
    AuditRead,
    BookingCancel,
    BookingConfirm,
    BookingCreate,
    BookingRead,
    BookingReschedule,
    CapacityUpdate,
    CheckIn,
    ClosureCreate,
    ClosureRead,
    DeskFiguresRead,
    DocumentsUpdate,
    JobsRead,
    KioskRead,
    KioskUpdate,
    OfficeRead,
    PrecheckUpdate,
    ServiceRead,
    SlotRead,
    WindowRead,
)
from shared.db import transaction
from shared.tasks import TaskPage

router = APIRouter(prefix="/internal/v1")


@router.get("/services")
async def list_services(session: SessionDep) -> list[ServiceRead]:
    return [ServiceRead.model_validate(s) for s in await catalogue.list_services(session)]


@router.get("/offices")
async def list_offices(
    session: SessionDep, service_code: str | None = Query(None, alias="service")
) -> list[OfficeRead]:
    return [
        OfficeRead.model_validate(o)
        for o in await catalogue.list_offices(session, service_code=service_code)
    ]


@router.get("/offices/{office_code}/windows")
async def office_windows(session: SessionDep, office_code: str) -> list[WindowRead]:
    return [WindowRead.model_validate(w) for w in await staff.windows(session, office_code)]


@router.get("/slots")
async def free_slots(
    rt: RuntimeDep,
    d: DeskDep,
    service_code: str = Query(alias="service"),
    office_code: str = Query(alias="office"),
    day: date = Query(alias="date"),
    way: str = "appointment",
) -> list[SlotRead]:
    async with transaction(rt.factory) as s:  # a day nobody looked at yet is built here
        slots = await catalogue.free_slots(
            s, d, service_code=service_code, office_code=office_code, day=day, way=way
        )
    return [
        SlotRead(
            slot_id=s.id,
            office_code=s.office_code,
            way=s.way,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            extended=s.extended,
            free=s.capacity - s.booked,
        )
        for s in slots
    ]


def _booking(b: object) -> BookingRead:
    return BookingRead.model_validate(b)


@router.post("/bookings", status_code=201, response_model=BookingRead)
async def create_booking(rt: RuntimeDep, d: DeskDep, body: BookingCreate) -> Response:
    async with transaction(rt.factory) as s:
        b = await bookings.book(
            s,
            d,
            resident_id=body.resident_id,
            service_code=body.service_code,
            slot_id=body.slot_id,
            documents=body.documents,
            hold=body.hold,
        )
    rt.wake_relay()
    # the busiest write: serialised once here, not validated a second time by FastAPI
    body_json = _booking(b).model_dump_json()
    return Response(body_json, status_code=201, media_type="application/json")


@router.get("/bookings")
async def bookings_of(session: SessionDep, resident_id: str) -> list[BookingRead]:
    return [_booking(b) for b in await bookings.my_bookings(session, resident_id)]


@router.get("/bookings/{code}")
async def get_booking(
    session: SessionDep, code: str, resident_id: str | None = None
) -> BookingRead:
    return _booking(await bookings.get_booking(session, code, resident_id=resident_id))


@router.post("/bookings/{code}/confirm")
async def confirm_booking(
    rt: RuntimeDep, d: DeskDep, code: str, body: BookingConfirm
) -> BookingRead:
    async with transaction(rt.factory) as s:
        b = await bookings.confirm(s, d, code, resident_id=body.resident_id)
    rt.wake_relay()
    return _booking(b)


@router.post("/bookings/{code}/cancel")
async def cancel_booking(rt: RuntimeDep, d: DeskDep, code: str, body: BookingCancel) -> BookingRead:
    async with transaction(rt.factory) as s:
        b = await bookings.cancel(
            s, d, code, actor_id=body.actor_id, resident_id=body.resident_id, reason=body.reason
        )
    rt.wake_relay()
    return _booking(b)


@router.post("/bookings/{code}/reschedule")
async def reschedule_booking(
    rt: RuntimeDep, d: DeskDep, code: str, body: BookingReschedule
) -> BookingRead:
    async with transaction(rt.factory) as s:
        b = await bookings.reschedule(
            s, d, code, slot_id=body.slot_id, actor_id=body.actor_id, resident_id=body.resident_id
        )
    rt.wake_relay()
    return _booking(b)


@router.post("/bookings/{code}/check-in")
async def check_in(rt: RuntimeDep, d: DeskDep, code: str, body: CheckIn) -> BookingRead:
    async with transaction(rt.factory) as s:
        b = await staff.check_in(s, d, code, window_code=body.window_code, actor_id=body.actor_id)
    rt.wake_relay()
    return _booking(b)


@router.post("/bookings/{code}/precheck")
async def precheck(rt: RuntimeDep, code: str, body: PrecheckUpdate) -> BookingRead:
    async with transaction(rt.factory) as s:
        b = await staff.precheck(s, code, missing=body.missing, actor_id=body.actor_id)
    rt.wake_relay()
    return _booking(b)


@router.post("/bookings/{code}/documents")
async def resubmit(rt: RuntimeDep, code: str, body: DocumentsUpdate) -> BookingRead:
    async with transaction(rt.factory) as s:
        b = await staff.resubmit_documents(
            s, code, resident_id=body.resident_id, documents=body.documents
        )
    return _booking(b)


@router.get("/offices/{office_code}/day")
async def office_day(
    session: SessionDep, d: DeskDep, office_code: str, day: date = Query(alias="date")
) -> list[BookingRead]:
    rows = await staff.day_bookings(session, d, office_code=office_code, day=day)
    return [_booking(b) for b in rows]


@router.get("/precheck-queue")
async def precheck_queue(session: SessionDep, office: str | None = None) -> list[BookingRead]:
    return [_booking(b) for b in await staff.precheck_queue(session, office_code=office)]


@router.post("/applications", status_code=201)
async def submit_application(rt: RuntimeDep, body: ApplicationCreate) -> ApplicationRead:
    async with transaction(rt.factory) as s:
        a = await applications.submit(
            s,
            resident_id=body.resident_id,
            village_code=body.village_code,
            service_code=body.service_code,
            documents=body.documents,
            details=body.details,
        )
    rt.wake_relay()
    return ApplicationRead.model_validate(a)


@router.get("/applications")
async def list_applications(
    session: SessionDep, resident_id: str | None = None, status: str | None = None
) -> list[ApplicationRead]:
    rows = await applications.listing(session, resident_id=resident_id, status=status)
    return [ApplicationRead.model_validate(a) for a in rows]


@router.get("/applications/{app_id}")
async def get_application(
    session: SessionDep, app_id: str, resident_id: str | None = None
) -> ApplicationRead:
    return ApplicationRead.model_validate(
        await applications.get(session, app_id, resident_id=resident_id)
    )


@router.post("/applications/{app_id}/decision")
async def decide_application(
    rt: RuntimeDep, app_id: str, body: ApplicationDecision
) -> ApplicationRead:
    async with transaction(rt.factory) as s:
        a = await applications.decide(
            s, app_id, decision=body.decision, note=body.note, actor_id=body.actor_id
        )
    rt.wake_relay()
    return ApplicationRead.model_validate(a)


@router.get("/kiosks")
async def list_kiosks(session: SessionDep, office: str | None = None) -> list[KioskRead]:
    return [KioskRead.model_validate(k) for k in await staff.kiosks(session, office_code=office)]


@router.post("/kiosks/{code}")
async def update_kiosk(rt: RuntimeDep, code: str, body: KioskUpdate) -> KioskRead:
    async with transaction(rt.factory) as s:
        k = await staff.set_kiosk_status(
            s, code, in_service=body.in_service, note=body.note, actor_id=body.actor_id
        )
    return KioskRead.model_validate(k)


@router.post("/capacity", status_code=204)
async def set_capacity(rt: RuntimeDep, d: DeskDep, body: CapacityUpdate) -> None:
    async with transaction(rt.factory) as s:
        await staff.set_capacity(
            s,
            d,
            office_code=body.office_code,
            way=body.way,
            seats=body.seats,
            actor_id=body.actor_id,
        )
    rt.wake_relay()


@router.get("/closures")
async def list_closures(session: SessionDep, office: str | None = None) -> list[ClosureRead]:
    rows = await staff.closures(session, office_code=office)
    return [ClosureRead.model_validate(x) for x in rows]


@router.post("/closures", status_code=201)
async def add_closure(rt: RuntimeDep, d: DeskDep, body: ClosureCreate) -> ClosureRead:
    async with transaction(rt.factory) as s:
        x = await staff.add_closure(
            s,
            d,
            office_code=body.office_code,
            day=body.day,
            reason=body.reason,
            actor_id=body.actor_id,
        )
    rt.wake_relay()
    return ClosureRead.model_validate(x)


@router.get("/tasks")
async def tasks(
    session: SessionDep,
    assignee: str | None = None,
    station: str | None = None,
    village: str | None = None,
    kind: str | None = None,
) -> TaskPage:
    return await applications.tasks(
        session, assignee=assignee, station=station, village=village, kind=kind
    )


@router.get("/figures")
async def figures(session: SessionDep, d: DeskDep) -> DeskFiguresRead:
    return await applications.figures(session, d)


@router.get("/audit")
async def audit_trail(session: SessionDep, entity: str, entity_id: str) -> list[AuditRead]:
    return [AuditRead.model_validate(a) for a in await audit_of(session, entity, entity_id)]


@router.post("/jobs/run")
async def run_jobs(rt: RuntimeDep, d: DeskDep, t: TemporalDep) -> JobsRead:
    """Runs the periodic jobs now (ops and tests); safe next to the background loop."""
    report = await runner.run_jobs(rt.factory, d)
    await runner.start_pending(rt.factory, d, t)
    rt.wake_relay()
    return JobsRead(**report.__dict__)
