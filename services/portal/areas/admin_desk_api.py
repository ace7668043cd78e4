"""Six-ways desk administration in the JSON API (/api/v1/admin/desk/...): the services with
their checklists, promised times and ways; offices with hours, seats, windows and closures;
the bookings a change left without their place, and moving them. Administrators; a station
chief sees and moves the bookings of their own station's office."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from services.portal.admin_lib import desk as dk
from services.portal.admin_lib.backend import Problems
from services.portal.deps import Clients, RuntimeDep, User, audit, require_roles
from services.portal.web import client_ip
from shared.contracts.appointments import BookingRead, OfficeRead
from shared.db import transaction

TAG = "admin_desk"


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


api = APIRouter(
    prefix="/api/v1",
    tags=[TAG],
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {"model": Problem, "description": "not an administrator"},
        503: {"model": Problem, "description": "the appointments service is not available"},
    },
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Supervisor = Annotated[User, Depends(require_roles("admin", "station_chief"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such office, service or closure"},
    409: {"model": Problem, "description": "refused in the current state (the reason says why)"},
    422: {"model": Invalid, "description": "each problem with its field and reason"},
}


async def record(
    request: Request, rt: RuntimeDep, user: User, action: str, subject: str, **detail: Any
) -> None:
    async with transaction(rt.factory) as session:
        await audit(
            session,
            action=f"admin.desk.{action}",
            actor_id=user.user_id,
            subject=subject,
            ip=client_ip(request),
            detail=detail,
        )


async def station_office_codes(clients: Any, user: User) -> set[str] | None:
    """None for an administrator (every office); a station chief: their station's offices."""
    if user.role == "admin":
        return None
    offices = await dk.desk_call(clients, user, "GET", "/offices", answer=list[OfficeRead])
    return {o.code for o in offices if o.station_code == user.station_code}


@api.get("/admin/desk/services", response_model=list[dk.ServiceOut])
async def services(user: Admin, clients: Clients) -> Any:
    """The catalogue: each service with its checklist, promised time and ways."""
    return await dk.desk_call(clients, user, "GET", "/services", answer=list[dk.ServiceOut])


@api.put(
    "/admin/desk/services/{code}",
    response_model=dk.ServiceSaved,
    responses=REFUSED,
)
async def save_service(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str, body: dk.ServiceIn
) -> Any:
    """Create or change a service. Bookings of a way withdrawn from it, or at offices that
    can no longer give it, are listed to move (`change.listed`) and their residents told.

    Refused with 422 naming the field, beyond the schema: a document listed twice; a code not
    2 to 32 letters, digits or _."""
    try:
        out = await dk.desk_call(
            clients,
            user,
            "PUT",
            f"/admin/desk/services/{code}",
            answer=dk.ServiceSaved,
            json=body.model_dump(),
        )
    except Problems as exc:
        return exc.response()
    await record(request, rt, user, "service", code, listed=out.change.listed)
    return out


@api.get("/admin/desk/offices", response_model=list[dk.OfficeOut])
async def offices(user: Admin, clients: Clients) -> Any:
    return await dk.desk_call(clients, user, "GET", "/offices", answer=list[dk.OfficeOut])


@api.get(
    "/admin/desk/offices/{code}",
    response_model=dk.OfficeDetail,
    responses={404: REFUSED[404]},
)
async def office(user: Admin, clients: Clients, code: str) -> Any:
    """An office with its week of opening hours, seats per way, windows and coming closures."""
    return await dk.desk_call(
        clients, user, "GET", f"/admin/desk/offices/{code}", answer=dk.OfficeDetail
    )


@api.put("/admin/desk/offices/{code}", response_model=dk.OfficeSaved, responses=REFUSED)
async def save_office(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str, body: dk.OfficeIn
) -> Any:
    """Create or change an office (its services, slot length, 24x7 window). Refused with 422
    naming the field, beyond the schema: an unknown service code."""
    try:
        out = await dk.desk_call(
            clients,
            user,
            "PUT",
            f"/admin/desk/offices/{code}",
            answer=dk.OfficeSaved,
            json=body.model_dump(),
        )
    except Problems as exc:
        return exc.response()
    await record(request, rt, user, "office", code, listed=out.change.listed)
    return out


async def _put(
    request: Request,
    rt: RuntimeDep,
    clients: Any,
    user: User,
    code: str,
    part: str,
    body: BaseModel,
    answer: Any,
) -> Any:
    try:
        out = await dk.desk_call(
            clients,
            user,
            "PUT",
            f"/admin/desk/offices/{code}/{part}",
            answer=answer,
            json=body.model_dump(),
        )
    except Problems as exc:
        return exc.response()
    listed = out.listed if isinstance(out, dk.Change) else []
    await record(request, rt, user, part, code, listed=listed)
    return out


@api.put("/admin/desk/offices/{code}/hours", response_model=dk.Change, responses=REFUSED)
async def set_hours(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str, body: dk.HoursIn
) -> Any:
    """Replace the office's week of opening and extended hours. Bookings outside the new hours
    are listed to move and their residents told; none is cancelled.

    Refused with 422 naming the period, beyond the schema: a period that closes before it
    opens, or overlaps another of the same weekday."""
    return await _put(request, rt, clients, user, code, "hours", body, dk.Change)


@api.put("/admin/desk/offices/{code}/seats", response_model=dk.Change, responses=REFUSED)
async def set_seats(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str, body: dk.SeatsIn
) -> Any:
    """Seats per slot for each way; a way left out offers none. Where a slot holds more
    bookings than seats, the latest made are listed to move."""
    return await _put(request, rt, clients, user, code, "seats", body, dk.Change)


@api.put("/admin/desk/offices/{code}/windows", response_model=list[dk.WindowOut], responses=REFUSED)
async def set_windows(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: str, body: dk.WindowsIn
) -> Any:
    """Replace the office's windows (counters); `always_open` marks a 24x7 window. Refused
    with 422 naming the window: a code listed twice."""
    return await _put(request, rt, clients, user, code, "windows", body, list[dk.WindowOut])


@api.post(
    "/admin/desk/closures",
    response_model=dk.ClosureSaved,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def add_closure(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: dk.ClosureIn
) -> Any:
    """Close a day at an office, or at every office (`"*"`, a holiday). Its slots close (a 24x7
    window stays open); its bookings are listed to move and their residents told. 409: the
    day is already closed."""
    try:
        out = await dk.desk_call(
            clients,
            user,
            "POST",
            "/admin/desk/closures",
            answer=dk.ClosureSaved,
            json=body.model_dump(mode="json"),
        )
    except Problems as exc:
        return exc.response()
    await record(
        request,
        rt,
        user,
        "closure",
        f"{body.office_code} {body.day.isoformat()}",
        reason=body.reason,
        listed=out.change.listed,
    )
    return out


@api.delete("/admin/desk/closures/{office_code}/{day}", response_model=dk.Change, responses=REFUSED)
async def remove_closure(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, office_code: str, day: date
) -> Any:
    """Reopen a closed day: the bookings listed because of it stand again (residents told)."""
    out = await dk.desk_call(
        clients,
        user,
        "POST",
        f"/admin/desk/closures/{office_code}/{day.isoformat()}/delete",
        answer=dk.Change,
        json={},
    )
    await record(request, rt, user, "reopened", f"{office_code} {day.isoformat()}")
    return out


@api.get("/admin/desk/to-move", response_model=list[dk.ToMove])
async def to_move(user: Supervisor, clients: Clients, office: str | None = None) -> Any:
    """Bookings a change left without their place, still to move (a station chief: those of
    their station's offices)."""
    rows = await dk.desk_call(
        clients,
        user,
        "GET",
        "/admin/desk/to-move",
        answer=list[dk.ToMove],
        params={"office": office},
    )
    mine = await station_office_codes(clients, user)
    return [r for r in rows if mine is None or r.office_code in mine]


@api.post(
    "/admin/desk/to-move/{booking_code}/move",
    response_model=dk.Moved,
    responses={**REFUSED, 403: {"model": Problem, "description": "not your station's booking"}},
)
async def move(
    request: Request,
    user: Supervisor,
    clients: Clients,
    rt: RuntimeDep,
    booking_code: str,
    body: dk.MoveIn,
) -> dk.Moved:
    """Move a listed booking to a free slot (the resident is told the new time)."""
    return await move_booking(request, rt, clients, user, booking_code, body.slot_id)


async def move_booking(
    request: Request, rt: RuntimeDep, clients: Any, user: User, code: str, slot_id: str
) -> dk.Moved:
    booking = await dk.desk_call(clients, user, "GET", f"/bookings/{code}", answer=BookingRead)
    mine = await station_office_codes(clients, user)
    if mine is not None and booking.office_code not in mine:
        raise HTTPException(403, "this booking is not at your station's office")
    try:
        out = await dk.desk_call(
            clients,
            user,
            "POST",
            f"/bookings/{code}/reschedule",
            answer=BookingRead,
            json={"slot_id": slot_id},
        )
    except Problems as exc:
        raise HTTPException(422, exc.problems[0].reason) from None
    await record(request, rt, user, "moved", code, slot_id=slot_id)
    return dk.Moved(booking_code=out.code, starts_at=out.starts_at, slot_id=out.slot_id)
