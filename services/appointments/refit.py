"""After a desk change: which bookings still have their place, and which are listed to move.

A change of the catalogue, an office's hours, seats or closures never cancels a booking. Inside
the change's own transaction, `refit` rebuilds the office's future slots from the new settings
(unbooked rows are dropped and made again; a booked row keeps its bookings but offers no seat
where it no longer fits), lists each booking left without its place as a `BookingIssue` and
tells its resident (appointment.affected, outbox). A booking that fits again (the change was
undone) leaves the list and its resident is told it stands; one moved or cancelled since just
leaves the list.

Concurrency (PostgreSQL): changes are serialised by one advisory lock (`hold_desk`), and a
re-fit locks the slot rows it rebuilds before it reads their bookings, so a seat claimed at the
same moment is either seen (and listed if it no longer fits) or claimed under the new seats.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.bookings import booking_event
from services.appointments.calendar import Period, day_bounds, day_slots, local_day, utc
from services.appointments.catalogue import closure_of, hold_desk, materialise_day
from services.appointments.context import Desk, audit
from services.appointments.models import (
    ACTIVE_STATES,
    Booking,
    BookingIssue,
    Capacity,
    Office,
    OpeningHours,
    Service,
    Slot,
    outbox,
)
from shared.messaging import contracts as c
from shared.messaging.outbox import add_event

__all__ = ["Refit", "hold_desk", "refit"]


@dataclass(frozen=True)
class Refit:
    listed: list[str]  # booking codes newly listed to move
    restored: list[str]  # booking codes back in place


@dataclass
class _Day:
    closed_for: str | None
    starts: dict[datetime, tuple[datetime, bool]]  # start -> (end, extended)


async def _day(desk: Desk, s: AsyncSession, office: Office, hours: list[Period], d: date) -> _Day:
    closure = await closure_of(s, office.code, d)
    specs = day_slots(
        d,
        hours,
        slot_minutes=office.slot_minutes,
        closed=closure is not None,
        always_open=office.always_open,
        tz=desk.tz,
    )
    return _Day(
        closure.reason if closure is not None else None,
        {x.starts_at: (x.ends_at, x.extended) for x in specs},
    )


async def refit(
    s: AsyncSession,
    desk: Desk,
    office_code: str,
    *,
    now: datetime,
    actor_id: str,
    day: date | None = None,
) -> Refit:
    """Re-fit the office's future bookings (of one day, or all) to its settings as they are now
    in this transaction (which holds the desk, `hold_desk`, from its start)."""
    await hold_desk(s)
    office = await s.get(Office, office_code)
    if office is None:
        return Refit([], [])
    start = now
    end: datetime | None = None
    if day is not None:
        first, end = day_bounds(day, desk.tz)
        start = max(first, now)
    in_range = (Slot.office_code == office.code) & (Slot.starts_at >= start)
    if end is not None:
        in_range &= Slot.starts_at < end
    # seats being claimed in these slots commit first (so their bookings are seen below), and
    # claims from now on wait for this change and meet its capacity (claim_seat's condition)
    await s.execute(select(Slot.id).where(in_range).order_by(Slot.id).with_for_update())
    await s.execute(delete(Slot).where(in_range, Slot.booked == 0))
    slots = {x.id: x for x in await s.scalars(select(Slot).where(in_range))}
    weekday_hours: dict[int, list[Period]] = defaultdict(list)
    for h in await s.scalars(select(OpeningHours).where(OpeningHours.office_code == office.code)):
        weekday_hours[h.weekday].append(Period(h.opens, h.closes, h.extended))
    seats = {
        cap.way: cap.seats
        for cap in await s.scalars(select(Capacity).where(Capacity.office_code == office.code))
    }
    services = {x.code: x for x in await s.scalars(select(Service))}
    days: dict[date, _Day] = {}
    slot_fits: dict[str, str | None] = {}  # slot id -> cause it fails by, None when it fits
    for sid, slot in slots.items():
        d = local_day(slot.starts_at, desk.tz)
        if d not in days:
            days[d] = await _day(desk, s, office, weekday_hours[d.weekday()], d)
        spec = days[d].starts.get(utc(slot.starts_at))
        if spec is None or spec[0] != utc(slot.ends_at):
            slot_fits[sid] = "closure" if days[d].closed_for is not None else "hours"
        elif seats.get(slot.way, 0) <= 0:
            slot_fits[sid] = "seats"
        else:
            slot_fits[sid] = None
            slot.extended = spec[1]
        # a slot that no longer fits offers no seat; its bookings stay until moved
        slot.capacity = seats.get(slot.way, 0) if slot_fits[sid] is None else 0

    q = select(Booking).where(
        Booking.office_code == office.code,
        Booking.status.in_(ACTIVE_STATES),
        Booking.starts_at >= start,
    )
    if end is not None:
        q = q.where(Booking.starts_at < end)
    by_slot: dict[str, list[Booking]] = defaultdict(list)
    for b in await s.scalars(q.order_by(Booking.created_at, Booking.id)):
        by_slot[b.slot_id].append(b)
    unfit: dict[str, tuple[Booking, str]] = {}
    fit: dict[str, Booking] = {}
    for sid, bookings in by_slot.items():
        cause = slot_fits.get(sid, "hours")
        way = sid.rsplit(".", 1)[1]
        for rank, b in enumerate(bookings):
            svc = services.get(b.service_code)
            failure = cause
            if failure is None and (svc is None or b.service_code not in office.services):
                failure = "service"
            elif failure is None and way not in svc.ways:  # type: ignore[union-attr]
                failure = "way"
            elif failure is None and rank >= seats.get(way, 0):
                failure = "seats"  # the earliest bookings keep the seats that are left
            if failure is None:
                fit[b.code] = b
            else:
                unfit[b.code] = (b, failure)
    done = await _list(s, office, unfit, fit, days, now, actor_id)
    # the days that keep booked rows are made whole again (the others are made on first look)
    for d in sorted(days):
        await materialise_day(desk, s, office, d)
    return done


async def _list(
    s: AsyncSession,
    office: Office,
    unfit: dict[str, tuple[Booking, str]],
    fit: dict[str, Booking],
    days: dict[date, _Day],
    now: datetime,
    actor_id: str,
) -> Refit:
    issues = list(
        await s.scalars(
            select(BookingIssue).where(
                BookingIssue.office_code == office.code, BookingIssue.resolved_at.is_(None)
            )
        )
    )
    open_by_code = {i.booking_code: i for i in issues}
    restored: list[str] = []
    for issue in issues:
        b = fit.get(issue.booking_code)
        if b is not None and b.slot_id == issue.slot_id:
            issue.resolved_at, issue.resolution = now, "fits"
            restored.append(b.code)
            audit(s, "booking", b.code, "back_in_place", actor_id)
            await add_event(
                s, outbox, booking_event(c.appointments.AppointmentAffected, b, cause="restored")
            )
        elif issue.booking_code not in unfit:
            current = await s.scalar(select(Booking).where(Booking.code == issue.booking_code))
            if current is None or current.status not in ACTIVE_STATES:
                issue.resolved_at, issue.resolution = now, "cancelled"
            elif current.slot_id != issue.slot_id:
                issue.resolved_at, issue.resolution = now, "moved"
    listed: list[str] = []
    for code, (b, cause) in unfit.items():
        known = open_by_code.get(code)
        if known is not None and known.slot_id == b.slot_id:
            known.cause = cause
            continue
        if known is not None:
            known.resolved_at, known.resolution = now, "moved"
        s.add(
            BookingIssue(
                booking_code=code,
                office_code=office.code,
                slot_id=b.slot_id,
                cause=cause,
                detected_at=now,
            )
        )
        listed.append(code)
        audit(s, "booking", code, "to_move", actor_id, cause=cause)
        await add_event(
            s,
            outbox,
            booking_event(
                c.appointments.AppointmentAffected,
                b,
                cause=cause,
                day_closed_for=_closed_for(days, b) if cause == "closure" else "",
            ),
        )
    return Refit(listed, restored)


def _closed_for(days: dict[date, _Day], b: Booking) -> str:
    """The closure's reason on the booking's day (the slot's day: bookings share its start)."""
    for d, info in days.items():
        first, last = day_bounds(d)
        if first <= utc(b.starts_at) < last:
            return info.closed_for or ""
    return ""
