"""The appointments area's access to the appointments service (no routes here).

Pages (`appointments.py`) and the JSON API (`appointments_api.py`) share these calls. The
service trusts the ids it is given, so the scope rules live here: a resident only reaches their
own bookings, applications and visits (the resident id always comes from the session); staff
only their station's office, applications and visits (admins everything).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from fastapi import HTTPException

from services.portal.backend import ServiceCall
from services.portal.deps import ServiceClients, User
from services.portal.inputs import optional_phone
from shared.contracts.appointments import (
    ApplicationRead,
    BookingRead,
    ClosureRead,
    DeskFiguresRead,
    HomeVisitRead,
    KioskRead,
    OfficeRead,
    ServiceRead,
    SlotRead,
    VisitStateRead,
    WindowRead,
)
from shared.localtime import local_zone
from shared.tasks import TaskPage

TZ = local_zone()
T = TypeVar("T")
STAFF = ("officer", "station_chief", "admin")
SUPERVISORS = ("station_chief", "admin")

# The catalogue's services and documents, for pages that have only a code or a checklist
# item (the catalogue names them in Chinese; the .po files carry the Chinese back).
SERVICE_LABELS = {
    "hukou": "Household registration incl. hukou transfer",
    "id_card": "ID card",
    "exit_entry": "Exit-entry documents",
    "vehicle": "Vehicles and drivers",
    "permit": "Public-order permits",
    "no_record": "No-criminal-record certificate",
}
DOCUMENT_LABELS = {
    "居民户口簿": "Household register",
    "居民身份证": "Resident ID card",
    "准予迁入证明": "Permit to move in",
    "数码照片回执": "Digital photo receipt",
    "出入境证件申请表": "Exit-entry application form",
    "机动车驾驶证": "Driving licence",
    "机动车行驶证": "Vehicle registration certificate",
    "营业执照": "Business licence",
    "场所平面图": "Floor plan of the premises",
    "消防安全检查合格证明": "Fire safety inspection certificate",
    "用途说明": "Statement of purpose",
}
WAY_LABELS = {
    "online": "Online",
    "appointment": "By appointment",
    "one_visit": "One visit",
    "extended": "Extended hours",
    "self_service": "Self-service",
    "door_to_door": "Door-to-door",
}
STATUS_LABELS = {
    "held": "Held",
    "booked": "Booked",
    "pending_check": "Documents being checked",
    "ready": "Ready",
    "checked_in": "Checked in",
    "no_show": "Missed",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "submitted": "Submitted",
    "approved": "Approved",
    "rejected": "Rejected",
    "returned": "Returned",
    "requested": "Requested",
    "assigned": "Assigned",
    "scheduled": "Scheduled",
    "done": "Done",
    "withdrawn": "Withdrawn",
}
REASON_LABELS = {"elderly": "Elderly", "sick": "Sick", "disabled": "Disabled"}


def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(TZ).strftime(fmt)


def today() -> str:
    return datetime.now(TZ).date().isoformat()


# one call to the service, its answer as the shared contract model; its refusals become the
# portal's 4xx with the reason (services/portal/backend.py)
call = ServiceCall("appointments")


def staff_office(user: User, office: str | None) -> str | None:
    """The office a staff member works on: their own station unless they are an admin."""
    if user.role == "admin":
        return office or None
    if office and office != user.station_code:
        raise HTTPException(403, "you can only work on your own station's office")
    return user.station_code


def check_scope(user: User, station_code: str | None, assignee_id: str | None = None) -> None:
    if user.role == "admin" or assignee_id == user.user_id:
        return
    if station_code is None or station_code != user.station_code:
        raise HTTPException(403, "this belongs to another station")


# --- resident ----------------------------------------------------------------------------


async def services(clients: ServiceClients, user: User) -> list[ServiceRead]:
    return await call(clients, "GET", "/services", user, list[ServiceRead])


async def service(clients: ServiceClients, user: User, code: str) -> ServiceRead:
    for s in await services(clients, user):
        if s.code == code:
            return s
    raise HTTPException(404, f"no service {code}")


async def offices(clients: ServiceClients, user: User, service_code: str) -> list[OfficeRead]:
    params = {"service": service_code}
    return await call(clients, "GET", "/offices", user, list[OfficeRead], params=params)


async def slots(
    clients: ServiceClients, user: User, *, service: str, office: str, date: str, way: str
) -> list[SlotRead]:
    params = {"service": service, "office": office, "date": date, "way": way}
    return await call(clients, "GET", "/slots", user, list[SlotRead], params=params)


async def book(clients: ServiceClients, user: User, body: dict[str, Any]) -> BookingRead:
    body = {**body, "resident_id": user.user_id}
    return await call(clients, "POST", "/bookings", user, BookingRead, json=body)


async def my_bookings(clients: ServiceClients, user: User) -> list[BookingRead]:
    params = {"resident_id": user.user_id}
    return await call(clients, "GET", "/bookings", user, list[BookingRead], params=params)


async def my_booking(clients: ServiceClients, user: User, code: str) -> BookingRead:
    params = {"resident_id": user.user_id}
    return await call(clients, "GET", f"/bookings/{code}", user, BookingRead, params=params)


async def cancel(clients: ServiceClients, user: User, code: str, reason: str) -> BookingRead:
    body = {"actor_id": user.user_id, "resident_id": user.user_id, "reason": reason}
    return await call(clients, "POST", f"/bookings/{code}/cancel", user, BookingRead, json=body)


async def reschedule(clients: ServiceClients, user: User, code: str, slot_id: str) -> BookingRead:
    body = {"actor_id": user.user_id, "resident_id": user.user_id, "slot_id": slot_id}
    path = f"/bookings/{code}/reschedule"
    return await call(clients, "POST", path, user, BookingRead, json=body)


async def confirm(clients: ServiceClients, user: User, code: str) -> BookingRead:
    body = {"resident_id": user.user_id}
    return await call(clients, "POST", f"/bookings/{code}/confirm", user, BookingRead, json=body)


async def apply(clients: ServiceClients, user: User, body: dict[str, Any]) -> ApplicationRead:
    payload = {**body, "resident_id": user.user_id, "village_code": user.village_code}
    return await call(clients, "POST", "/applications", user, ApplicationRead, json=payload)


async def my_applications(clients: ServiceClients, user: User) -> list[ApplicationRead]:
    params = {"resident_id": user.user_id}
    return await call(clients, "GET", "/applications", user, list[ApplicationRead], params=params)


async def request_visit(clients: ServiceClients, user: User, body: dict[str, Any]) -> HomeVisitRead:
    payload = {**body, "resident_id": user.user_id, "village_code": user.village_code}
    payload["phone"] = optional_phone(str(body.get("phone") or ""))  # ASCII digits only
    return await call(clients, "POST", "/home-visits", user, HomeVisitRead, json=payload)


async def my_visits(clients: ServiceClients, user: User) -> list[HomeVisitRead]:
    params = {"resident_id": user.user_id}
    return await call(clients, "GET", "/home-visits", user, list[HomeVisitRead], params=params)


async def kiosks(clients: ServiceClients, user: User, office: str | None = None) -> list[KioskRead]:
    return await call(clients, "GET", "/kiosks", user, list[KioskRead], params={"office": office})


# --- staff -------------------------------------------------------------------------------


async def day(clients: ServiceClients, user: User, office: str, date: str) -> list[BookingRead]:
    path = f"/offices/{office}/day"
    return await call(clients, "GET", path, user, list[BookingRead], params={"date": date})


async def windows(clients: ServiceClients, user: User, office: str) -> list[WindowRead]:
    return await call(clients, "GET", f"/offices/{office}/windows", user, list[WindowRead])


async def tasks(clients: ServiceClients, user: User) -> TaskPage:
    params = {} if user.role == "admin" else {"assignee": user.user_id}
    return await call(clients, "GET", "/tasks", user, TaskPage, params=params)


async def staff_booking(clients: ServiceClients, user: User, code: str) -> BookingRead:
    b = await call(clients, "GET", f"/bookings/{code}", user, BookingRead)
    staff_office(user, b.office_code)
    return b


async def check_in(clients: ServiceClients, user: User, code: str, window: str) -> BookingRead:
    await staff_booking(clients, user, code)
    body = {"actor_id": user.user_id, "window_code": window}
    return await call(clients, "POST", f"/bookings/{code}/check-in", user, BookingRead, json=body)


async def precheck_queue(clients: ServiceClients, user: User) -> list[BookingRead]:
    params = {"office": staff_office(user, None)}
    return await call(clients, "GET", "/precheck-queue", user, list[BookingRead], params=params)


async def precheck(
    clients: ServiceClients, user: User, code: str, missing: list[str]
) -> BookingRead:
    await staff_booking(clients, user, code)
    body = {"actor_id": user.user_id, "missing": missing}
    return await call(clients, "POST", f"/bookings/{code}/precheck", user, BookingRead, json=body)


async def applications(clients: ServiceClients, user: User) -> list[ApplicationRead]:
    params = {"status": "submitted"}
    rows = await call(clients, "GET", "/applications", user, list[ApplicationRead], params=params)
    if user.role == "admin":
        return rows
    return [a for a in rows if a.station_code == user.station_code]


async def application(clients: ServiceClients, user: User, app_id: str) -> ApplicationRead:
    a = await call(clients, "GET", f"/applications/{app_id}", user, ApplicationRead)
    check_scope(user, a.station_code, a.assignee_id)
    return a


async def decide(
    clients: ServiceClients, user: User, app_id: str, decision: str, note: str
) -> ApplicationRead:
    await application(clients, user, app_id)
    body = {"actor_id": user.user_id, "decision": decision, "note": note}
    path = f"/applications/{app_id}/decision"
    return await call(clients, "POST", path, user, ApplicationRead, json=body)


async def visit(clients: ServiceClients, user: User, visit_id: str) -> HomeVisitRead:
    v = await call(clients, "GET", f"/home-visits/{visit_id}", user, HomeVisitRead)
    check_scope(user, v.station_code, v.officer_id)
    return v


async def visit_action(
    clients: ServiceClients, user: User, visit_id: str, body: dict[str, Any]
) -> VisitStateRead:
    await visit(clients, user, visit_id)
    payload = {**body, "actor_id": user.user_id}
    path = f"/home-visits/{visit_id}/actions"
    return await call(clients, "POST", path, user, VisitStateRead, json=payload)


async def set_kiosk(
    clients: ServiceClients, user: User, code: str, in_service: bool, note: str
) -> KioskRead:
    kiosk = next((k for k in await kiosks(clients, user) if k.code == code), None)
    if kiosk is None:
        raise HTTPException(404, f"no kiosk {code}")
    staff_office(user, kiosk.office_code)
    body = {"actor_id": user.user_id, "in_service": in_service, "note": note}
    return await call(clients, "POST", f"/kiosks/{code}", user, KioskRead, json=body)


async def closures(clients: ServiceClients, user: User, office: str | None) -> list[ClosureRead]:
    params = {"office": office}
    return await call(clients, "GET", "/closures", user, list[ClosureRead], params=params)


async def set_capacity(
    clients: ServiceClients, user: User, office: str, way: str, seats: int
) -> None:
    office_code = staff_office(user, office)
    body = {"actor_id": user.user_id, "office_code": office_code, "way": way, "seats": seats}
    await call(clients, "POST", "/capacity", user, type(None), json=body)


async def add_closure(
    clients: ServiceClients, user: User, office: str, day_: str, reason: str
) -> ClosureRead:
    office_code = "*" if office == "*" and user.role == "admin" else staff_office(user, office)
    body = {"actor_id": user.user_id, "office_code": office_code, "day": day_, "reason": reason}
    return await call(clients, "POST", "/closures", user, ClosureRead, json=body)


async def figures(clients: ServiceClients, user: User) -> DeskFiguresRead:
    return await call(clients, "GET", "/figures", user, DeskFiguresRead)
