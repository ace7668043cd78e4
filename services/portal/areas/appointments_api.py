"""JSON API of the six-ways desk (bearer auth): what a resident's app or a partner calls.

The resident id always comes from the token, never from the body. Pages are in
`appointments.py`; calls and scope rules in `_appointments_backend.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date as Day
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.portal.areas import _appointments_backend as ab
from services.portal.deps import Clients, CurrentUser, User, require_roles

api = APIRouter(
    prefix="/api/v1",
    tags=["appointments"],
    responses={
        404: {"description": "no such service, office, slot or booking (or not yours)"},
        409: {"description": "refused: the slot is taken, past the cut-off, already booked"},
    },
)
Resident = Annotated[User, Depends(require_roles("resident", "group_leader"))]
Staff = Annotated[User, Depends(require_roles(*ab.STAFF))]


class BookingRequest(BaseModel):
    service_code: str = Field(min_length=1, max_length=32)
    slot_id: str = Field(min_length=1, max_length=64, description="from GET /api/v1/slots")
    documents: list[str] = Field(default=[], description="checklist items you bring (one visit)")
    hold: bool = Field(default=False, description="hold the seat briefly, then confirm")


class CancelRequest(BaseModel):
    reason: str = Field(default="", max_length=500)


class RescheduleRequest(BaseModel):
    slot_id: str = Field(min_length=1, max_length=64)


class ApplicationRequest(BaseModel):
    service_code: str = Field(min_length=1, max_length=32)
    documents: list[str] = Field(description="every item of the service's checklist")
    details: str = Field(default="", max_length=2000)


class HomeVisitRequest(BaseModel):
    service_code: str = Field(min_length=1, max_length=32)
    reason: Literal["elderly", "sick", "disabled"]
    address: str = Field(default="", max_length=256)
    phone: str = Field(default="", max_length=32)


def _plain(answer: BaseModel) -> dict[str, Any]:
    """The service's answer as published here: its fields, times in the local zone."""
    return answer.model_dump(mode="json")


def _plain_all(answers: Sequence[BaseModel]) -> list[dict[str, Any]]:
    return [_plain(a) for a in answers]


@api.get("/services", summary="The six-ways services: what to bring, promised time, ways")
async def list_services(user: CurrentUser, clients: Clients) -> list[dict[str, Any]]:
    return _plain_all(await ab.services(clients, user))


@api.get("/offices", summary="Offices offering a service")
async def list_offices(
    user: CurrentUser, clients: Clients, service: str = Query(min_length=1)
) -> list[dict[str, Any]]:
    """422 names `service` when the desk has no such service (GET /api/v1/services)."""
    return _plain_all(await ab.offices(clients, user, service))


@api.get("/slots", summary="Free slots of an office on a day (Asia/Shanghai)")
async def free_slots(
    user: CurrentUser,
    clients: Clients,
    service: str = Query(min_length=1),
    office: str = Query(min_length=1),
    date: Day = Query(description="the day, YYYY-MM-DD"),
    way: Literal["appointment", "one_visit"] = "appointment",
) -> list[dict[str, Any]]:
    """422 names `service` or `office` when there is no such service or office."""
    day = date.isoformat()
    return _plain_all(
        await ab.slots(clients, user, service=service, office=office, date=day, way=way)
    )


@api.post("/bookings", status_code=201, summary="Book a slot (one active booking per service)")
async def create_booking(user: Resident, clients: Clients, body: BookingRequest) -> dict[str, Any]:
    """422 names the field when `service_code` is no service of the desk or `slot_id` no free
    slot of it (both from the lists above); 409 when you already hold a booking for it."""
    return _plain(await ab.book(clients, user, body.model_dump()))


@api.get("/bookings/mine", summary="My bookings, newest first")
async def my_bookings(user: Resident, clients: Clients) -> list[dict[str, Any]]:
    return _plain_all(await ab.my_bookings(clients, user))


@api.post("/bookings/{code}/confirm", summary="Confirm a held booking")
async def confirm_booking(user: Resident, clients: Clients, code: str) -> dict[str, Any]:
    return _plain(await ab.confirm(clients, user, code))


@api.post("/bookings/{code}/cancel", summary="Cancel (until the cut-off before the start)")
async def cancel_booking(
    user: Resident, clients: Clients, code: str, body: CancelRequest | None = None
) -> dict[str, Any]:
    return _plain(await ab.cancel(clients, user, code, body.reason if body else ""))


@api.post("/bookings/{code}/reschedule", summary="Move to another slot (until the cut-off)")
async def reschedule_booking(
    user: Resident, clients: Clients, code: str, body: RescheduleRequest
) -> dict[str, Any]:
    return _plain(await ab.reschedule(clients, user, code, body.slot_id))


@api.post("/applications", status_code=201, summary="Submit an online application")
async def submit_application(
    user: Resident, clients: Clients, body: ApplicationRequest
) -> dict[str, Any]:
    """422 names the field when `service_code` is no service offered online, or `documents`
    misses an item of its checklist."""
    return _plain(await ab.apply(clients, user, body.model_dump()))


@api.get("/applications/mine", summary="My online applications and their status")
async def my_applications(user: Resident, clients: Clients) -> list[dict[str, Any]]:
    return _plain_all(await ab.my_applications(clients, user))


@api.post("/home-visits", status_code=201, summary="Request a door-to-door visit")
async def request_home_visit(
    user: Resident, clients: Clients, body: HomeVisitRequest
) -> dict[str, Any]:
    """422 names `service_code` when the service is not offered door-to-door."""
    return _plain(await ab.request_visit(clients, user, body.model_dump()))


@api.get("/home-visits/mine", summary="My door-to-door requests")
async def my_home_visits(user: Resident, clients: Clients) -> list[dict[str, Any]]:
    return _plain_all(await ab.my_visits(clients, user))


@api.get("/appointments/figures", summary="Served per way per month, wait, compliance")
async def desk_figures(
    user: Annotated[User, Depends(require_roles(*ab.SUPERVISORS))], clients: Clients
) -> dict[str, Any]:
    return (await ab.figures(clients, user)).model_dump(mode="json")
