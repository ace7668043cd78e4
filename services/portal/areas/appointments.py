"""Six-ways desk area (六办): resident and staff pages.

The JSON API of the same area is in `appointments_api.py`; calls and scope rules in
`_appointments_backend.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.areas import _appointments_backend as ab
from services.portal.deps import (
    Clients,
    CurrentUser,
    FieldError,
    User,
    render,
    require_roles,
    verify_csrf,
)
from shared.contracts.appointments import BookingRead, SlotRead

pages = APIRouter()
CSRF = [Depends(verify_csrf)]
ORDER = 30

NAV: list[tuple[str, str, set[str]]] = [
    ("/appointments", "Six ways desk", {"resident", "group_leader"}),
    ("/appointments/mine", "My bookings", {"resident", "group_leader"}),
    ("/appointments/staff", "Service desk", {"officer", "station_chief", "admin"}),
    ("/appointments/figures", "Desk figures", {"station_chief", "admin"}),
]

Resident = Annotated[User, Depends(require_roles("resident", "group_leader"))]
Staff = Annotated[User, Depends(require_roles(*ab.STAFF))]
Supervisor = Annotated[User, Depends(require_roles(*ab.SUPERVISORS))]
LABELS = {
    "ways": ab.WAY_LABELS,
    "statuses": ab.STATUS_LABELS,
    "reasons": ab.REASON_LABELS,
    "service_names": ab.SERVICE_LABELS,
    "documents": ab.DOCUMENT_LABELS,
}


def _page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
    context = {**LABELS, "local": ab.local, "error": None, **ctx}
    return render(request, f"appointments/{name}.html", context, status_code=status_code)


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- resident ----------------------------------------------------------------------------


@pages.get("/appointments")
async def catalogue(request: Request, user: CurrentUser, clients: Clients) -> Response:
    return _page(request, "index", services=await ab.services(clients, user))


@pages.get("/appointments/services/{code}")
async def service_page(
    request: Request, user: CurrentUser, clients: Clients, code: str
) -> Response:
    svc = await ab.service(clients, user, code)
    offices = await ab.offices(clients, user, code)
    return _page(request, "service", svc=svc, offices=offices, today=ab.today())


@pages.get("/appointments/book")
async def slots_page(
    request: Request,
    user: Resident,
    clients: Clients,
    service: str = "",
    office: str = "",
    date: str = "",
    way: str = "appointment",
) -> Response:
    svc = await ab.service(clients, user, service)
    ctx: dict[str, Any] = {"svc": svc, "office": office, "date": date or ab.today(), "way": way}
    try:
        found = await ab.slots(
            clients, user, service=service, office=office, date=ctx["date"], way=way
        )
    except FieldError as exc:
        return _page(request, "book", 422, slots=[], error=exc.reason, **ctx)
    return _page(request, "book", slots=found, **ctx)


@pages.post("/appointments/book", dependencies=CSRF)
async def book(
    request: Request,
    user: Resident,
    clients: Clients,
    service_code: Annotated[str, Form()],
    slot_id: Annotated[str, Form()],
    documents: Annotated[list[str] | None, Form()] = None,
) -> Response:
    one_visit = slot_id.endswith(".one_visit")
    body = {
        "service_code": service_code,
        "slot_id": slot_id,
        "documents": documents or [],
        "hold": not one_visit,
    }
    b = await ab.book(clients, user, body)
    return _back(f"/appointments/bookings/{b.code}")


@pages.get("/appointments/mine")
async def mine(request: Request, user: Resident, clients: Clients) -> Response:
    return _page(
        request,
        "mine",
        bookings=await ab.my_bookings(clients, user),
        applications=await ab.my_applications(clients, user),
        visits=await ab.my_visits(clients, user),
    )


@pages.get("/appointments/bookings/{code}")
async def booking_page(
    request: Request, user: Resident, clients: Clients, code: str, date: str = ""
) -> Response:
    b = await ab.my_booking(clients, user, code)
    svc = await ab.service(clients, user, b.service_code)
    moves: list[SlotRead] = []
    error = None
    if date:
        way = b.slot_id.rsplit(".", 1)[1]
        try:
            moves = await ab.slots(
                clients,
                user,
                service=b.service_code,
                office=b.office_code,
                date=date,
                way=way,
            )
        except FieldError as exc:
            error = exc.reason
    return _page(
        request, "booking", b=b, svc=svc, moves=moves, date=date or ab.today(), error=error
    )


@pages.post("/appointments/bookings/{code}/confirm", dependencies=CSRF)
async def confirm(user: Resident, clients: Clients, code: str) -> Response:
    await ab.confirm(clients, user, code)
    return _back(f"/appointments/bookings/{code}")


@pages.post("/appointments/bookings/{code}/cancel", dependencies=CSRF)
async def cancel(
    user: Resident, clients: Clients, code: str, reason: Annotated[str, Form()] = ""
) -> Response:
    await ab.cancel(clients, user, code, reason)
    return _back(f"/appointments/bookings/{code}")


@pages.post("/appointments/bookings/{code}/reschedule", dependencies=CSRF)
async def reschedule(
    user: Resident, clients: Clients, code: str, slot_id: Annotated[str, Form()]
) -> Response:
    await ab.reschedule(clients, user, code, slot_id)
    return _back(f"/appointments/bookings/{code}")


@pages.post("/appointments/bookings/{code}/documents", dependencies=CSRF)
async def documents(
    user: Resident,
    clients: Clients,
    code: str,
    documents: Annotated[list[str] | None, Form()] = None,
) -> Response:
    if not documents:
        raise FieldError("documents", "tick the documents you now have")
    await ab.call(
        clients,
        "POST",
        f"/bookings/{code}/documents",
        user,
        BookingRead,
        json={"resident_id": user.user_id, "documents": documents},
    )
    return _back(f"/appointments/bookings/{code}")


@pages.get("/appointments/apply")
async def apply_form(
    request: Request, user: Resident, clients: Clients, service: str = ""
) -> Response:
    options = [s for s in await ab.services(clients, user) if "online" in s.ways]
    chosen = next((s for s in options if s.code == service), options[0] if options else None)
    return _page(request, "apply", options=options, svc=chosen)


@pages.post("/appointments/apply", dependencies=CSRF)
async def apply(
    request: Request,
    user: Resident,
    clients: Clients,
    service_code: Annotated[str, Form()],
    documents: Annotated[list[str] | None, Form()] = None,
    details: Annotated[str, Form()] = "",
) -> Response:
    body = {"service_code": service_code, "documents": documents or [], "details": details}
    try:
        await ab.apply(clients, user, body)
    except FieldError as exc:
        options = [s for s in await ab.services(clients, user) if "online" in s.ways]
        svc = next((s for s in options if s.code == service_code), None)
        return _page(request, "apply", 422, options=options, svc=svc, error=exc.reason)
    return _back("/appointments/mine")


@pages.get("/appointments/home-visit")
async def visit_form(request: Request, user: Resident, clients: Clients) -> Response:
    options = [s for s in await ab.services(clients, user) if "door_to_door" in s.ways]
    return _page(request, "home_visit", options=options)


@pages.post("/appointments/home-visit", dependencies=CSRF)
async def visit_request(
    request: Request,
    user: Resident,
    clients: Clients,
    service_code: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    address: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
) -> Response:
    body = {"service_code": service_code, "reason": reason, "address": address, "phone": phone}
    try:
        await ab.request_visit(clients, user, body)
    except FieldError as exc:
        options = [s for s in await ab.services(clients, user) if "door_to_door" in s.ways]
        return _page(request, "home_visit", 422, options=options, error=exc.reason)
    return _back("/appointments/mine")


@pages.get("/appointments/kiosks")
async def kiosks(request: Request, user: CurrentUser, clients: Clients) -> Response:
    return _page(request, "kiosks", kiosks=await ab.kiosks(clients, user), staff=False)


# --- staff -------------------------------------------------------------------------------


@pages.get("/appointments/staff")
async def staff_day(
    request: Request, user: Staff, clients: Clients, office: str = "", date: str = ""
) -> Response:
    code = ab.staff_office(user, office) or "HYZ"
    day = date or ab.today()
    tasks = await ab.tasks(clients, user)
    return _page(
        request,
        "staff",
        office=code,
        date=day,
        bookings=await ab.day(clients, user, code, day),
        windows=await ab.windows(clients, user, code),
        tasks=tasks.items,
    )


@pages.post("/appointments/staff/check-in", dependencies=CSRF)
async def check_in(
    user: Staff, clients: Clients, code: Annotated[str, Form()], window: Annotated[str, Form()]
) -> Response:
    b = await ab.check_in(clients, user, code, window)
    return _back(f"/appointments/staff?office={b.office_code}")


@pages.get("/appointments/staff/precheck")
async def precheck_queue(request: Request, user: Staff, clients: Clients) -> Response:
    checklists = {s.code: s.checklist for s in await ab.services(clients, user)}
    queue = await ab.precheck_queue(clients, user)
    return _page(request, "precheck", queue=queue, checklists=checklists)


@pages.post("/appointments/staff/precheck/{code}", dependencies=CSRF)
async def precheck(
    user: Staff,
    clients: Clients,
    code: str,
    missing: Annotated[list[str] | None, Form()] = None,
) -> Response:
    await ab.precheck(clients, user, code, missing or [])
    return _back("/appointments/staff/precheck")


@pages.get("/appointments/staff/applications")
async def applications(request: Request, user: Staff, clients: Clients) -> Response:
    return _page(request, "applications", rows=await ab.applications(clients, user))


@pages.get("/appointments/staff/applications/{app_id}")
async def application(request: Request, user: Staff, clients: Clients, app_id: str) -> Response:
    a = await ab.application(clients, user, app_id)
    svc = await ab.service(clients, user, a.service_code)
    return _page(request, "application", a=a, svc=svc)


@pages.post("/appointments/staff/applications/{app_id}", dependencies=CSRF)
async def decide(
    user: Staff,
    clients: Clients,
    app_id: str,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    await ab.decide(clients, user, app_id, decision, note)
    return _back("/appointments/staff/applications")


@pages.get("/appointments/staff/home-visits/{visit_id}")
async def visit(request: Request, user: Staff, clients: Clients, visit_id: str) -> Response:
    v = await ab.visit(clients, user, visit_id)
    return _page(request, "visit", v=v)


@pages.post("/appointments/staff/home-visits/{visit_id}", dependencies=CSRF)
async def visit_action(
    user: Staff,
    clients: Clients,
    visit_id: str,
    action: Annotated[str, Form()],
    scheduled_at: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    body: dict[str, Any] = {"action": action, "reason": reason}
    if scheduled_at:
        body["scheduled_at"] = (
            f"{scheduled_at}:00+08:00" if len(scheduled_at) == 16 else scheduled_at
        )
    await ab.visit_action(clients, user, visit_id, body)
    return _back(f"/appointments/staff/home-visits/{visit_id}")


@pages.get("/appointments/staff/kiosks")
async def staff_kiosks(request: Request, user: Staff, clients: Clients) -> Response:
    office = ab.staff_office(user, None)
    rows = await ab.kiosks(clients, user, office)
    return _page(request, "kiosks", kiosks=rows, staff=True)


@pages.post("/appointments/staff/kiosks/{code}", dependencies=CSRF)
async def set_kiosk(
    user: Staff,
    clients: Clients,
    code: str,
    in_service: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    await ab.set_kiosk(clients, user, code, in_service == "1", note)
    return _back("/appointments/staff/kiosks")


@pages.get("/appointments/staff/capacity")
async def capacity(
    request: Request, user: Supervisor, clients: Clients, office: str = ""
) -> Response:
    code = ab.staff_office(user, office) or "HYZ"
    return _page(request, "capacity", office=code, closures=await ab.closures(clients, user, code))


@pages.post("/appointments/staff/capacity", dependencies=CSRF)
async def set_capacity(
    user: Supervisor,
    clients: Clients,
    office: Annotated[str, Form()],
    way: Annotated[str, Form()],
    seats: Annotated[int, Form()],
) -> Response:
    await ab.set_capacity(clients, user, office, way, seats)
    return _back(f"/appointments/staff/capacity?office={office}")


@pages.post("/appointments/staff/closures", dependencies=CSRF)
async def add_closure(
    user: Supervisor,
    clients: Clients,
    office: Annotated[str, Form()],
    day: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    await ab.add_closure(clients, user, office, day, reason)
    return _back(f"/appointments/staff/capacity?office={office}")


@pages.get("/appointments/figures")
async def figures(request: Request, user: Supervisor, clients: Clients) -> Response:
    return _page(request, "figures", fig=await ab.figures(clients, user))
