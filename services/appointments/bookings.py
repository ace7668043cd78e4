"""Bookings (no FastAPI, no aio-pika here): book, confirm, cancel, reschedule, a resident's list.

Every change commits together with its audit row and its event (outbox). Seats are taken only
by a conditional UPDATE (`claim_seat`), and one active booking per person and service is a
partial unique index, so concurrency cannot overbook on either database. On PostgreSQL the
usual booking is one statement (booking_statement.py); what it cannot decide comes here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.booking_statement import book_in_one_statement, new_code
from services.appointments.calendar import at_local, local_day, now_utc, utc
from services.appointments.catalogue import (
    check_slot_time,
    claim_seat,
    claim_seat_returning,
    hold_desk,
    load_slot,
    release_seat,
    service_and_office,
)
from services.appointments.context import Desk, audit
from services.appointments.errors import Conflict, Forbidden, Invalid, NotFound
from services.appointments.models import ACTIVE_STATES, Booking, Reminder, outbox
from shared.messaging import contracts as c
from shared.messaging.outbox import add_event

# --- bookings ----------------------------------------------------------------------------


def booking_event(cls: type[c.appointments.BookingEvent], b: Booking, **extra: Any) -> Any:
    return cls(
        booking_code=b.code,
        resident_id=b.resident_id,
        service_code=b.service_code,
        office_code=b.office_code,
        way=b.way,
        starts_at=utc(b.starts_at).isoformat(),
        **extra,
    )


def reminder_due(desk: Desk, starts_at: datetime, now: datetime) -> datetime | None:
    """18:00 local the evening before; none when the visit is already that close."""
    eve = local_day(starts_at, desk.tz) - timedelta(days=1)
    due = at_local(eve, f"{desk.settings.reminder_hour:02d}:00", desk.tz)
    if utc(starts_at) - now < timedelta(hours=3):
        return None
    return max(due, now)


async def _schedule_reminder(desk: Desk, s: AsyncSession, b: Booking, now: datetime) -> None:
    await s.execute(
        update(Reminder)
        .where(Reminder.booking_id == b.id, Reminder.status == "pending")
        .values(status="cancelled")
    )
    due = reminder_due(desk, b.starts_at, now)
    if due is not None:
        s.add(Reminder(booking_id=b.id, due_at=due, status="pending"))


async def book(
    s: AsyncSession,
    desk: Desk,
    *,
    resident_id: str,
    service_code: str,
    slot_id: str,
    documents: list[str] | None = None,
    hold: bool = False,
    now: datetime | None = None,
) -> Booking:
    now = now or now_utc()
    # the desk taken shared first (PostgreSQL): a desk change in flight commits before this
    # booking reads the catalogue, and a change waits for the bookings in flight, so its re-fit
    # lists them; a booking never stands unlisted for a service or way just withdrawn. The
    # one statement takes it in its own round trip; whatever it returns, the desk is held.
    try:
        if s.get_bind().dialect.name != "postgresql":
            await hold_desk(s, shared=True)  # (SQLite: a no-op, its writers are serial)
        else:
            made = await book_in_one_statement(
                s,
                desk,
                resident_id=resident_id,
                service_code=service_code,
                slot_id=slot_id,
                documents=list(dict.fromkeys(documents or [])),
                hold=hold,
                reminder=lambda starts_at: reminder_due(desk, starts_at, now),
                now=now,
            )
            if made is not None:
                return made
        # the usual case in few round trips: service and office in one query, the seat
        # claimed by the conditional UPDATE that also returns the slot; the checks after
        # it roll the claim back with everything else when they refuse
        svc, office = await service_and_office(s, service_code, slot_id)
        check_slot_time(desk, slot_id, now)
        slot = await claim_seat_returning(s, slot_id)
        if slot is None:
            slot, office = await load_slot(desk, s, slot_id, now)  # not materialised yet?
            if not await claim_seat(s, slot.id):
                raise Conflict("the slot is full", "slot_id")
        if svc.code not in office.services:
            raise Invalid(f"{office.name} does not offer {svc.name}", "slot_id")
        if slot.way not in svc.ways:
            raise Invalid(f"{svc.name} is not offered as {slot.way}", "slot_id")
        docs = list(dict.fromkeys(documents or []))
        held = "held" if hold else "booked"
        status = "pending_check" if slot.way == "one_visit" else held
        way = "extended" if slot.extended and slot.way == "appointment" else slot.way
        b = Booking(
            code=new_code(),
            resident_id=resident_id,
            service_code=svc.code,
            office_code=office.code,
            slot_id=slot.id,
            way=way,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status=status,
            active=True,
            held_until=now + timedelta(seconds=desk.settings.hold_seconds) if hold else None,
            documents=docs,
            missing=[],
            created_at=now,
        )
        s.add(b)
        await s.flush()
        audit(s, "booking", b.code, status, resident_id, slot_id=slot.id)
        if status != "held":
            due = reminder_due(desk, b.starts_at, now)  # a new booking has no reminder yet
            if due is not None:
                s.add(Reminder(booking_id=b.id, due_at=due, status="pending"))
            await add_event(s, outbox, booking_event(c.appointments.AppointmentBooked, b))
    except IntegrityError:
        raise Conflict(
            "you already have an active booking for this service", "service_code"
        ) from None
    return b


async def _booking(
    s: AsyncSession, code: str, *, resident_id: str | None = None, lock: bool = True
) -> Booking:
    q = select(Booking).where(Booking.code == code)
    b = (await s.scalars(q.with_for_update() if lock else q)).first()
    if b is None:
        raise NotFound(f"no booking {code}")
    if resident_id is not None and b.resident_id != resident_id:
        raise Forbidden("this booking belongs to someone else")
    return b


async def get_booking(s: AsyncSession, code: str, *, resident_id: str | None = None) -> Booking:
    return await _booking(s, code, resident_id=resident_id, lock=False)


async def confirm(
    s: AsyncSession, desk: Desk, code: str, *, resident_id: str, now: datetime | None = None
) -> Booking:
    now = now or now_utc()
    b = await _booking(s, code, resident_id=resident_id)
    if b.status != "held" or b.held_until is None or utc(b.held_until) < now:
        raise Conflict("the hold has expired or the booking is not on hold")
    b.status, b.held_until = "booked", None
    audit(s, "booking", b.code, "booked", resident_id)
    await _schedule_reminder(desk, s, b, now)
    await add_event(s, outbox, booking_event(c.appointments.AppointmentBooked, b))
    return b


def _check_change_cutoff(desk: Desk, b: Booking, now: datetime, verb: str) -> None:
    if b.status not in ACTIVE_STATES:
        raise Conflict(f"a {b.status} booking cannot be {verb}")
    cutoff = desk.settings.change_cutoff_minutes
    if utc(b.starts_at) - now < timedelta(minutes=cutoff):
        raise Conflict(f"bookings can be {verb} until {cutoff} minutes before the start")


async def cancel(
    s: AsyncSession,
    desk: Desk,
    code: str,
    *,
    actor_id: str,
    resident_id: str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Booking:
    now = now or now_utc()
    b = await _booking(s, code, resident_id=resident_id)
    _check_change_cutoff(desk, b, now, "cancelled")
    b.status, b.active = "cancelled", False
    await release_seat(s, b.slot_id)
    await s.execute(
        update(Reminder)
        .where(Reminder.booking_id == b.id, Reminder.status == "pending")
        .values(status="cancelled")
    )
    audit(s, "booking", b.code, "cancelled", actor_id, reason=reason)
    await add_event(s, outbox, booking_event(c.appointments.AppointmentCancelled, b, reason=reason))
    return b


async def reschedule(
    s: AsyncSession,
    desk: Desk,
    code: str,
    *,
    slot_id: str,
    actor_id: str,
    resident_id: str | None = None,
    now: datetime | None = None,
) -> Booking:
    now = now or now_utc()
    b = await _booking(s, code, resident_id=resident_id)
    _check_change_cutoff(desk, b, now, "rescheduled")
    if slot_id == b.slot_id:
        raise Invalid("that is already the booked slot", "slot_id")
    await hold_desk(s, shared=True)  # as a booking does (book)
    slot, office = await load_slot(desk, s, slot_id, now)
    if b.service_code not in office.services:
        raise Invalid(f"{office.name} does not offer this service", "slot_id")
    if slot.way != b.slot_id.rsplit(".", 1)[1]:
        raise Invalid("a booking keeps its way when rescheduled", "slot_id")
    if not await claim_seat(s, slot.id):
        raise Conflict("the slot is full", "slot_id")
    await release_seat(s, b.slot_id)
    previous = utc(b.starts_at).isoformat()
    b.slot_id, b.office_code = slot.id, office.code
    b.starts_at, b.ends_at = slot.starts_at, slot.ends_at
    if slot.way == "appointment":
        b.way = "extended" if slot.extended else "appointment"
    await s.flush()
    await _schedule_reminder(desk, s, b, now)
    audit(s, "booking", b.code, "rescheduled", actor_id, previous=previous, slot_id=slot.id)
    await add_event(
        s,
        outbox,
        booking_event(c.appointments.AppointmentRescheduled, b, previous_starts_at=previous),
    )
    return b


async def my_bookings(s: AsyncSession, resident_id: str) -> list[Booking]:
    q = select(Booking).where(Booking.resident_id == resident_id)
    return list((await s.scalars(q.order_by(Booking.starts_at.desc()))).all())
