"""Six-ways desk administration pages (/admin/desk): the services with their checklists,
promised times and ways; each office's details, opening and extended hours, seats per way,
windows and closures; the bookings a change left without their place, moved by the staff.

The same in the JSON API: areas/admin_desk_api.py. Administrators; a station chief reaches the
list of bookings to move of their own station's office."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.admin_lib import desk as dk
from services.portal.admin_lib.backend import Problems
from services.portal.areas._appointments_backend import local, today
from services.portal.areas.admin_desk_api import move_booking, record, station_office_codes
from services.portal.deps import (
    Clients,
    RuntimeDep,
    ServiceClients,
    User,
    render,
    require_roles,
    verify_csrf,
)
from shared.contracts.appointments import BookingRead, SlotRead

pages = APIRouter()
Admin = Annotated[User, Depends(require_roles("admin"))]
Supervisor = Annotated[User, Depends(require_roles("admin", "station_chief"))]
CSRF = [Depends(verify_csrf)]
ROOT = "/admin/desk"
SHOWN = 60


def _back(path: str, change: dk.Change | None = None) -> RedirectResponse:
    listed = len(change.listed) if change is not None else 0
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}saved=1&listed={listed}", status_code=303)


def _ctx(**extra: Any) -> dict[str, Any]:
    return {
        "ways": dk.WAYS,
        "seat_ways": dk.SEAT_WAYS,
        "weekdays": dk.WEEKDAYS,
        "causes": dk.CAUSES,
        "slot_minutes": dk.SLOT_MINUTES,
        "saved": False,
        "listed": 0,
        "errors": {},
        **extra,
    }


@pages.get(ROOT)
async def desk_home(
    request: Request,
    user: Admin,
    clients: Clients,
    q: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    services = await _services(clients, user)
    offices = await dk.desk_call(clients, user, "GET", "/offices", answer=list[dk.OfficeOut])
    found = [
        o for o in offices if (not q and o.kind == "hall") or (q and (q in o.name or q in o.code))
    ]
    to_move = await dk.desk_call(
        clients, user, "GET", "/admin/desk/to-move", answer=list[dk.ToMove]
    )
    return render(
        request,
        "admin/desk_index.html",
        _ctx(
            services=services,
            offices=found[:SHOWN],
            more=max(len(found) - SHOWN, 0),
            q=q,
            office_count=len(offices),
            to_move=len(to_move),
        ),
    )


# --- services ----------------------------------------------------------------------------


async def _services(clients: ServiceClients, user: User) -> list[dk.ServiceOut]:
    return await dk.desk_call(clients, user, "GET", "/services", answer=list[dk.ServiceOut])


def _service_page(
    request: Request, svc: dk.ServiceForm, new: bool, code: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "admin/desk_service.html",
        _ctx(svc=svc, new=new, **extra),
        status_code=code,
    )


@pages.get(ROOT + "/services/{code}")
async def service_page(
    request: Request, user: Admin, clients: Clients, code: str, saved: bool = False, listed: int = 0
) -> Response:
    if code == "new":
        return _service_page(request, dk.ServiceForm(code=""), True)
    svc = next((s for s in await _services(clients, user) if s.code == code), None)
    if svc is None:
        raise HTTPException(404, f"no service {code}")
    return _service_page(request, dk.ServiceForm.of(svc), False, saved=saved, listed=listed)


@pages.post(ROOT + "/services/{code}", dependencies=CSRF)
async def service_post(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str
) -> Response:
    form = await request.form()
    body = dk.service_body(form)
    new = code == "new"
    target = dk.text(form, "code", 32) if new else code
    try:
        out = await dk.desk_call(
            clients,
            user,
            "PUT",
            f"/admin/desk/services/{target or '-'}",
            answer=dk.ServiceSaved,
            json=body,
        )
    except Problems as exc:
        errors = {p.field: p.reason for p in exc.problems}
        shown = dk.ServiceForm.sent(target, body)
        return _service_page(request, shown, new, code=422, errors=errors)
    await record(request, rt, user, "service", target, listed=out.change.listed)
    return _back(f"{ROOT}/services/{target}", out.change)


# --- offices -----------------------------------------------------------------------------


async def _office_page(
    request: Request,
    clients: ServiceClients,
    user: User,
    code: str,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    new = code == "new"
    office = (
        dk.blank_office()
        if new
        else await dk.desk_call(
            clients, user, "GET", f"/admin/desk/offices/{code}", answer=dk.OfficeDetail
        )
    )
    context = _ctx(
        office=office,
        services=await _services(clients, user),
        hours=extra.pop("hours", None) or dk.hour_rows(office.hours),
        windows=extra.pop("windows", None) or dk.window_rows(office.windows),
        seats={s.way: s.seats for s in office.seats},
        today=today(),
        new=new,
        **extra,
    )
    return render(request, "admin/desk_office.html", context, status_code=status_code)


@pages.get(ROOT + "/offices/{code}")
async def office_page(
    request: Request, user: Admin, clients: Clients, code: str, saved: bool = False, listed: int = 0
) -> Response:
    return await _office_page(request, clients, user, code, saved=saved, listed=listed)


@pages.post(ROOT + "/offices/{code}", dependencies=CSRF)
async def office_post(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str
) -> Response:
    form = await request.form()
    part = dk.text(form, "part", 16)
    path = f"/admin/desk/offices/{code}"
    change: dk.Change | None = None  # a new list of windows changes no booking
    try:
        if part == "hours":
            rows = dk.parse_rows(form, "h", dk.HOUR_KEYS, {"extended"})
            change = await dk.desk_call(
                clients, user, "PUT", f"{path}/hours", answer=dk.Change, json=dk.hours_body(rows)
            )
        elif part == "windows":
            rows = dk.parse_rows(form, "w", dk.WINDOW_KEYS, {"always_open"})
            await dk.desk_call(
                clients,
                user,
                "PUT",
                f"{path}/windows",
                answer=list[dk.WindowOut],
                json=dk.windows_body(rows),
            )
        elif part == "seats":
            change = await dk.desk_call(
                clients, user, "PUT", f"{path}/seats", answer=dk.Change, json=dk.seats_body(form)
            )
        else:
            part = "office"
            code = dk.text(form, "code", 32) or "-" if code == "new" else code
            saved = await dk.desk_call(
                clients,
                user,
                "PUT",
                f"/admin/desk/offices/{code}",
                answer=dk.OfficeSaved,
                json=dk.office_body(form),
            )
            change = saved.change
    except Problems as exc:
        errors = {f"{part}:{p.field}": p.reason for p in exc.problems}
        extra: dict[str, Any] = {"errors": errors}
        if part in ("hours", "windows"):
            rows.show(exc.problems, part)
            rows.rows += dk.blank_rows(dk.HOUR_KEYS if part == "hours" else dk.WINDOW_KEYS)
            extra[part] = rows
        return await _office_page(request, clients, user, code, status_code=422, **extra)
    await record(request, rt, user, part, code, listed=change.listed if change else [])
    return _back(f"{ROOT}/offices/{code}", change)


@pages.post(ROOT + "/closures", dependencies=CSRF)
async def closure_post(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    form = await request.form()
    office = dk.text(form, "office_code", 32)
    target = "*" if form.get("everywhere") else office
    body = {
        "office_code": target,
        "day": dk.text(form, "day", 10),
        "reason": dk.text(form, "reason", 128),
    }
    try:
        out = await dk.desk_call(
            clients, user, "POST", "/admin/desk/closures", answer=dk.ClosureSaved, json=body
        )
    except Problems as exc:
        errors = {f"closure:{p.field}": p.reason for p in exc.problems}
        return await _office_page(request, clients, user, office, status_code=422, errors=errors)
    await record(
        request,
        rt,
        user,
        "closure",
        f"{target} {body['day']}",
        reason=body["reason"],
        listed=out.change.listed,
    )
    return _back(f"{ROOT}/offices/{office}", out.change)


@pages.post(ROOT + "/closures/{office_code}/{day}/delete", dependencies=CSRF)
async def closure_delete(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, office_code: str, day: date
) -> Response:
    back = dk.text(await request.form(), "back", 32) or office_code
    out = await dk.desk_call(
        clients,
        user,
        "POST",
        f"/admin/desk/closures/{office_code}/{day.isoformat()}/delete",
        answer=dk.Change,
        json={},
    )
    await record(request, rt, user, "reopened", f"{office_code} {day.isoformat()}")
    return _back(f"{ROOT}/offices/{back}", out)


# --- bookings to move --------------------------------------------------------------------


@pages.get(ROOT + "/to-move")
async def to_move_page(request: Request, user: Supervisor, clients: Clients) -> Response:
    rows = await dk.desk_call(clients, user, "GET", "/admin/desk/to-move", answer=list[dk.ToMove])
    mine = await station_office_codes(clients, user)
    shown = [(r, local(r.starts_at)) for r in rows if mine is None or r.office_code in mine]
    names = {s.code: s for s in await _services(clients, user)}
    return render(
        request,
        "admin/desk_to_move.html",
        _ctx(rows=shown, names=names, moved=request.query_params.get("moved", "")),
    )


@pages.get(ROOT + "/to-move/{code}")
async def move_page(
    request: Request,
    user: Supervisor,
    clients: Clients,
    code: str,
    day: Annotated[str, Query(max_length=10)] = "",
    error: str = "",
) -> Response:
    booking = await dk.desk_call(clients, user, "GET", f"/bookings/{code}", answer=BookingRead)
    mine = await station_office_codes(clients, user)
    if mine is not None and booking.office_code not in mine:
        raise HTTPException(403, "this booking is not at your station's office")
    slots: list[tuple[SlotRead, str]] = []
    day = day or local(booking.starts_at, "%Y-%m-%d")
    try:
        found = await dk.desk_call(
            clients,
            user,
            "GET",
            "/slots",
            answer=list[SlotRead],
            params={
                "service": booking.service_code,
                "office": booking.office_code,
                "date": day,
                "way": booking.way,
            },
        )
        slots = [(s, local(s.starts_at, "%H:%M")) for s in found]
    except Problems as exc:
        error = error or exc.problems[0].reason
    return render(
        request,
        "admin/desk_move.html",
        _ctx(booking=booking, when=local(booking.starts_at), day=day, slots=slots, error=error),
    )


@pages.post(ROOT + "/to-move/{code}", dependencies=CSRF)
async def move_post(
    request: Request, user: Supervisor, clients: Clients, rt: RuntimeDep, code: str
) -> Response:
    form = await request.form()
    moved = await move_booking(request, rt, clients, user, code, dk.text(form, "slot_id", 64))
    return RedirectResponse(f"{ROOT}/to-move?moved={moved.booking_code}", status_code=303)
