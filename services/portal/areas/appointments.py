"""Six-ways desk area (六办): the residents' pages (the staff's are in `appointments_staff.py`).

The JSON API of the same area is in `appointments_api.py`; calls and scope rules in
`_appointments_backend.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.portal.areas import _appointments_backend as ab
from services.portal.areas._appointments_pages import (
    CSRF,
    Resident,
    _back,
    _page,
)
from services.portal.deps import (
    Clients,
    CurrentUser,
    FieldError,
)
from shared.contracts.appointments import BookingRead, SlotRead

pages = APIRouter()
ORDER = 30

NAV: list[tuple[str, str, set[str]]] = [
    ("/appointments", "Six ways desk", {"resident", "group_leader"}),
    ("/appointments/mine", "My bookings", {"resident", "group_leader"}),
    ("/appointments/staff", "Service desk", {"officer", "station_chief", "admin"}),
    ("/appointments/figures", "Desk figures", {"station_chief", "admin"}),
]

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
