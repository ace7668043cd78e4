"""Staff side of the desk: check-in, one-visit pre-check, kiosks, capacity and holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments import desk_admin
from services.appointments.bookings import _booking, booking_event
from services.appointments.calendar import day_bounds, now_utc, utc
from services.appointments.catalogue import get_office, get_service
from services.appointments.context import Desk, audit
from services.appointments.errors import Conflict, Invalid, NotFound
from services.appointments.models import Booking, Capacity, Closure, Kiosk, Window, outbox
from services.appointments.refit import hold_desk, refit
from shared.messaging import contracts as c
from shared.messaging.outbox import add_event

CHECK_IN_EARLY = timedelta(minutes=60)


async def day_bookings(
    s: AsyncSession, desk: Desk, *, office_code: str, day: date
) -> list[Booking]:
    start, end = day_bounds(day, desk.tz)
    await get_office(s, office_code, "office")
    q = select(Booking).where(
        Booking.office_code == office_code,
        Booking.starts_at >= start,
        Booking.starts_at < end,
        Booking.status.in_(["booked", "pending_check", "ready", "checked_in", "no_show"]),
    )
    return list((await s.scalars(q.order_by(Booking.starts_at, Booking.code))).all())


async def windows(s: AsyncSession, office_code: str) -> list[Window]:
    q = select(Window).where(Window.office_code == office_code).order_by(Window.code)
    return list((await s.scalars(q)).all())


async def check_in(
    s: AsyncSession,
    desk: Desk,
    code: str,
    *,
    window_code: str,
    actor_id: str,
    now: datetime | None = None,
) -> Booking:
    now = now or now_utc()
    b = await _booking(s, code)
    if await s.get(Window, (b.office_code, window_code)) is None:
        raise Invalid(f"no window {window_code} at this office", "window_code")
    if b.status == "pending_check":
        raise Conflict("the documents have not passed the pre-check yet")
    if b.status not in ("booked", "ready"):
        raise Conflict(f"a {b.status} booking cannot be checked in")
    if now < utc(b.starts_at) - CHECK_IN_EARLY:
        raise Conflict("check-in opens 60 minutes before the start")
    if now > utc(b.ends_at) + timedelta(minutes=desk.settings.no_show_grace_minutes):
        raise Conflict("the slot is over")
    b.status, b.active, b.window_code, b.checked_in_at = "checked_in", False, window_code, now
    audit(s, "booking", b.code, "checked_in", actor_id, window=window_code)
    await add_event(s, outbox, booking_event(c.appointments.AppointmentCheckedIn, b))
    return b


async def precheck_queue(s: AsyncSession, *, office_code: str | None = None) -> list[Booking]:
    q = select(Booking).where(Booking.status == "pending_check")
    if office_code:
        q = q.where(Booking.office_code == office_code)
    return list((await s.scalars(q.order_by(Booking.starts_at))).all())


async def precheck(s: AsyncSession, code: str, *, missing: list[str], actor_id: str) -> Booking:
    b = await _booking(s, code)
    if b.status not in ("pending_check", "ready"):
        raise Conflict(f"a {b.status} booking is not waiting for a pre-check")
    svc = await get_service(s, b.service_code)
    unknown = [m for m in missing if m not in svc.checklist]
    if unknown:
        raise Invalid(f"not on the checklist: {', '.join(unknown)}", "missing")
    b.missing = list(dict.fromkeys(missing))
    b.status = "pending_check" if b.missing else "ready"
    audit(s, "booking", b.code, "prechecked", actor_id, missing=b.missing)
    await add_event(
        s,
        outbox,
        booking_event(
            c.appointments.AppointmentPrechecked, b, ready=not b.missing, missing=b.missing
        ),
    )
    return b


async def resubmit_documents(
    s: AsyncSession, code: str, *, resident_id: str, documents: list[str]
) -> Booking:
    b = await _booking(s, code, resident_id=resident_id)
    if b.status != "pending_check":
        raise Conflict("this booking is not waiting for documents")
    b.documents = list(dict.fromkeys([*b.documents, *documents]))
    b.missing = [m for m in b.missing if m not in documents]
    audit(s, "booking", b.code, "documents", resident_id, documents=documents)
    return b


# --- kiosks, capacity, holidays ----------------------------------------------------------


async def kiosks(s: AsyncSession, *, office_code: str | None = None) -> list[Kiosk]:
    q = select(Kiosk)
    if office_code:
        q = q.where(Kiosk.office_code == office_code)
    return list((await s.scalars(q.order_by(Kiosk.code))).all())


async def set_kiosk_status(
    s: AsyncSession, code: str, *, in_service: bool, note: str, actor_id: str
) -> Kiosk:
    k = await s.get(Kiosk, code)
    if k is None:
        raise NotFound(f"no kiosk {code}")
    k.in_service, k.note, k.updated_at = in_service, note, now_utc()
    audit(s, "kiosk", code, "status", actor_id, in_service=in_service, note=note)
    return k


async def set_capacity(
    s: AsyncSession, desk: Desk, *, office_code: str, way: str, seats: int, actor_id: str
) -> None:
    """New seats apply to future slots; bookings beyond fewer seats are listed to move
    (services/appointments/refit.py), never cancelled."""
    if way not in ("appointment", "one_visit", "door_to_door"):
        raise Invalid("way must be appointment, one_visit or door_to_door", "way")
    if not 0 <= seats <= 100:
        raise Invalid("seats must be between 0 and 100", "seats")
    await hold_desk(s)
    await get_office(s, office_code)
    cap = await s.get(Capacity, (office_code, way))
    if cap is None:
        s.add(Capacity(office_code=office_code, way=way, seats=seats))
    else:
        cap.seats = seats
    await s.flush()
    audit(s, "office", office_code, "capacity", actor_id, way=way, seats=seats)
    await refit(s, desk, office_code, now=now_utc(), actor_id=actor_id)


async def closures(s: AsyncSession, *, office_code: str | None = None) -> list[Closure]:
    q = select(Closure)
    if office_code:
        q = q.where(Closure.office_code.in_([office_code, "*"]))
    return list((await s.scalars(q.order_by(Closure.day))).all())


async def add_closure(
    s: AsyncSession, desk: Desk, *, office_code: str, day: date, reason: str, actor_id: str
) -> Closure:
    """Closes the day; its bookings are listed to move and their residents told."""
    closure, _ = await desk_admin.add_closure(
        s, desk, office_code=office_code, day=day, reason=reason, actor_id=actor_id
    )
    return closure
