"""Routes of the internal API (`/internal/v1/...`, internal token required): thin adapters."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from services.appointments import (
    applications,
    bookings,
    catalogue,
    directory,
    home_visits,
    jobs,
    staff,
)
from services.appointments.deps import DeskDep, TemporalDep, WakeDep
from services.appointments.models import Audit
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
    DocumentsUpdate,
    HomeVisitAction,
    HomeVisitCreate,
    HomeVisitRead,
    JobsRead,
    KioskRead,
    KioskUpdate,
    OfficeRead,
    PrecheckUpdate,
    ServiceRead,
    SlotRead,
    VisitStateRead,
    WindowRead,
)
from shared.tasks import TaskPage
from workflows.home_visits.types import Assignment, VisitChange

router = APIRouter(prefix="/internal/v1")


@router.get("/services")
async def list_services(d: DeskDep) -> list[ServiceRead]:
    return [ServiceRead.model_validate(s) for s in await catalogue.list_services(d)]


@router.get("/offices")
async def list_offices(
    d: DeskDep, service_code: str | None = Query(None, alias="service")
) -> list[OfficeRead]:
    return [
        OfficeRead.model_validate(o)
        for o in await catalogue.list_offices(d, service_code=service_code)
    ]


@router.get("/offices/{office_code}/windows")
async def office_windows(d: DeskDep, office_code: str) -> list[WindowRead]:
    return [WindowRead.model_validate(w) for w in await staff.windows(d, office_code)]


@router.get("/slots")
async def free_slots(
    d: DeskDep,
    service_code: str = Query(alias="service"),
    office_code: str = Query(alias="office"),
    day: date = Query(alias="date"),
    way: str = "appointment",
) -> list[SlotRead]:
    slots = await catalogue.free_slots(
        d, service_code=service_code, office_code=office_code, day=day, way=way
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
async def create_booking(d: DeskDep, rt_wake: WakeDep, body: BookingCreate) -> Response:
    b = await bookings.book(
        d,
        resident_id=body.resident_id,
        service_code=body.service_code,
        slot_id=body.slot_id,
        documents=body.documents,
        hold=body.hold,
    )
    rt_wake()
    # the busiest write: serialised once here, not validated a second time by FastAPI
    body_json = _booking(b).model_dump_json()
    return Response(body_json, status_code=201, media_type="application/json")


@router.get("/bookings")
async def bookings_of(d: DeskDep, resident_id: str) -> list[BookingRead]:
    return [_booking(b) for b in await bookings.my_bookings(d, resident_id)]


@router.get("/bookings/{code}")
async def get_booking(d: DeskDep, code: str, resident_id: str | None = None) -> BookingRead:
    return _booking(await bookings.get_booking(d, code, resident_id=resident_id))


@router.post("/bookings/{code}/confirm")
async def confirm_booking(d: DeskDep, w: WakeDep, code: str, body: BookingConfirm) -> BookingRead:
    b = await bookings.confirm(d, code, resident_id=body.resident_id)
    w()
    return _booking(b)


@router.post("/bookings/{code}/cancel")
async def cancel_booking(d: DeskDep, w: WakeDep, code: str, body: BookingCancel) -> BookingRead:
    b = await bookings.cancel(
        d, code, actor_id=body.actor_id, resident_id=body.resident_id, reason=body.reason
    )
    w()
    return _booking(b)


@router.post("/bookings/{code}/reschedule")
async def reschedule_booking(
    d: DeskDep, w: WakeDep, code: str, body: BookingReschedule
) -> BookingRead:
    b = await bookings.reschedule(
        d, code, slot_id=body.slot_id, actor_id=body.actor_id, resident_id=body.resident_id
    )
    w()
    return _booking(b)


@router.post("/bookings/{code}/check-in")
async def check_in(d: DeskDep, w: WakeDep, code: str, body: CheckIn) -> BookingRead:
    b = await staff.check_in(d, code, window_code=body.window_code, actor_id=body.actor_id)
    w()
    return _booking(b)


@router.post("/bookings/{code}/precheck")
async def precheck(d: DeskDep, w: WakeDep, code: str, body: PrecheckUpdate) -> BookingRead:
    b = await staff.precheck(d, code, missing=body.missing, actor_id=body.actor_id)
    w()
    return _booking(b)


@router.post("/bookings/{code}/documents")
async def resubmit(d: DeskDep, code: str, body: DocumentsUpdate) -> BookingRead:
    b = await staff.resubmit_documents(
        d, code, resident_id=body.resident_id, documents=body.documents
    )
    return _booking(b)


@router.get("/offices/{office_code}/day")
async def office_day(
    d: DeskDep, office_code: str, day: date = Query(alias="date")
) -> list[BookingRead]:
    return [_booking(b) for b in await staff.day_bookings(d, office_code=office_code, day=day)]


@router.get("/precheck-queue")
async def precheck_queue(d: DeskDep, office: str | None = None) -> list[BookingRead]:
    return [_booking(b) for b in await staff.precheck_queue(d, office_code=office)]


@router.post("/applications", status_code=201)
async def submit_application(d: DeskDep, w: WakeDep, body: ApplicationCreate) -> ApplicationRead:
    a = await applications.submit(
        d,
        resident_id=body.resident_id,
        village_code=body.village_code,
        service_code=body.service_code,
        documents=body.documents,
        details=body.details,
    )
    w()
    return ApplicationRead.model_validate(a)


@router.get("/applications")
async def list_applications(
    d: DeskDep, resident_id: str | None = None, status: str | None = None
) -> list[ApplicationRead]:
    rows = await applications.listing(d, resident_id=resident_id, status=status)
    return [ApplicationRead.model_validate(a) for a in rows]


@router.get("/applications/{app_id}")
async def get_application(
    d: DeskDep, app_id: str, resident_id: str | None = None
) -> ApplicationRead:
    return ApplicationRead.model_validate(
        await applications.get(d, app_id, resident_id=resident_id)
    )


@router.post("/applications/{app_id}/decision")
async def decide_application(
    d: DeskDep, w: WakeDep, app_id: str, body: ApplicationDecision
) -> ApplicationRead:
    a = await applications.decide(
        d, app_id, decision=body.decision, note=body.note, actor_id=body.actor_id
    )
    w()
    return ApplicationRead.model_validate(a)


@router.post("/home-visits", status_code=201)
async def request_visit(
    d: DeskDep, w: WakeDep, t: TemporalDep, body: HomeVisitCreate
) -> HomeVisitRead:
    v = await home_visits.request_visit(
        d,
        resident_id=body.resident_id,
        village_code=body.village_code,
        service_code=body.service_code,
        reason=body.reason,
        address=body.address,
        phone=body.phone,
    )
    w()
    await home_visits.start_workflow(d, t, v)
    return HomeVisitRead.model_validate(v)


@router.get("/home-visits")
async def list_visits(d: DeskDep, resident_id: str | None = None) -> list[HomeVisitRead]:
    return [
        HomeVisitRead.model_validate(v)
        for v in await home_visits.visits(d, resident_id=resident_id)
    ]


@router.get("/home-visits/{visit_id}")
async def get_visit(d: DeskDep, visit_id: str, resident_id: str | None = None) -> HomeVisitRead:
    return HomeVisitRead.model_validate(
        await home_visits.get_visit(d, visit_id, resident_id=resident_id)
    )


@router.post("/home-visits/{visit_id}/actions")
async def visit_action(
    d: DeskDep, t: TemporalDep, visit_id: str, body: HomeVisitAction
) -> VisitStateRead:
    state = await home_visits.act(
        d,
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
async def visit_sync(d: DeskDep, w: WakeDep, visit_id: str, body: VisitChange) -> dict[str, bool]:
    applied = await home_visits.apply_change(d, body)
    w()
    return {"applied": applied}


@router.get("/directory/villages/{village_code}/assignment", include_in_schema=False)
async def village_assignment(d: DeskDep, village_code: str) -> Assignment:
    """For the home-visits worker: who serves the village (from the directory replica)."""
    async with d.factory() as s:
        return await directory.assignment_for(s, village_code)


@router.get("/kiosks")
async def list_kiosks(d: DeskDep, office: str | None = None) -> list[KioskRead]:
    return [KioskRead.model_validate(k) for k in await staff.kiosks(d, office_code=office)]


@router.post("/kiosks/{code}")
async def update_kiosk(d: DeskDep, code: str, body: KioskUpdate) -> KioskRead:
    k = await staff.set_kiosk_status(
        d, code, in_service=body.in_service, note=body.note, actor_id=body.actor_id
    )
    return KioskRead.model_validate(k)


@router.post("/capacity", status_code=204)
async def set_capacity(d: DeskDep, body: CapacityUpdate) -> None:
    await staff.set_capacity(
        d, office_code=body.office_code, way=body.way, seats=body.seats, actor_id=body.actor_id
    )


@router.get("/closures")
async def list_closures(d: DeskDep, office: str | None = None) -> list[ClosureRead]:
    return [ClosureRead.model_validate(x) for x in await staff.closures(d, office_code=office)]


@router.post("/closures", status_code=201)
async def add_closure(d: DeskDep, body: ClosureCreate) -> ClosureRead:
    x = await staff.add_closure(
        d, office_code=body.office_code, day=body.day, reason=body.reason, actor_id=body.actor_id
    )
    return ClosureRead.model_validate(x)


@router.get("/tasks")
async def tasks(
    d: DeskDep,
    assignee: str | None = None,
    station: str | None = None,
    village: str | None = None,
    kind: str | None = None,
) -> TaskPage:
    return await applications.tasks(
        d, assignee=assignee, station=station, village=village, kind=kind
    )


@router.get("/figures")
async def figures(d: DeskDep) -> dict[str, object]:
    return await applications.figures(d)


@router.get("/audit")
async def audit_trail(d: DeskDep, entity: str, entity_id: str) -> list[AuditRead]:
    async with d.factory() as s:
        q = select(Audit).where(Audit.entity == entity, Audit.entity_id == entity_id)
        return [AuditRead.model_validate(a) for a in await s.scalars(q.order_by(Audit.id))]


@router.post("/jobs/run")
async def run_jobs(d: DeskDep, w: WakeDep, t: TemporalDep) -> JobsRead:
    """Runs the periodic jobs now (ops and tests); safe next to the background loop."""
    report = await jobs.run_jobs(d)
    await home_visits.start_pending(d, t)
    w()
    return JobsRead(**report.__dict__)
