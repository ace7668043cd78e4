"""Six-ways desk area (六办): the staff's pages (the day's desk, pre-checks, applications,
door-to-door visits, kiosks, capacity). The residents' pages are in `appointments.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.portal.areas import _appointments_backend as ab
from services.portal.areas._appointments_pages import CSRF, Staff, Supervisor, _back, _page
from services.portal.deps import Clients

pages = APIRouter()
ORDER = 30


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
