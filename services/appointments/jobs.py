"""Periodic jobs: expired holds, reminders the day before, no-shows.

Each row is claimed by a conditional UPDATE inside the transaction that also queues its event,
so several service processes can run the jobs at once and each effect happens exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update

from services.appointments.bookings import booking_event
from services.appointments.calendar import now_utc
from services.appointments.catalogue import release_seat
from services.appointments.context import Desk, audit
from services.appointments.models import Booking, Reminder, outbox
from shared.messaging import contracts as c
from shared.messaging.outbox import add_event

BATCH = 200


@dataclass
class JobReport:
    holds_released: int = 0
    reminders_sent: int = 0
    no_shows: int = 0

    @property
    def total(self) -> int:
        return self.holds_released + self.reminders_sent + self.no_shows


async def release_expired_holds(desk: Desk, now: datetime) -> int:
    async with desk.factory() as s:
        ids = (
            await s.scalars(
                select(Booking.id)
                .where(Booking.status == "held", Booking.held_until < now)
                .limit(BATCH)
            )
        ).all()
    n = 0
    for bid in ids:
        async with desk.factory() as s, s.begin():
            r: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
                update(Booking)
                .where(Booking.id == bid, Booking.status == "held")
                .values(status="expired", active=False)
            )
            if r.rowcount != 1:
                continue
            b = await s.get(Booking, bid)
            assert b is not None
            await release_seat(s, b.slot_id)
            audit(s, "booking", b.code, "expired", "system")
            n += 1
    return n


async def send_due_reminders(desk: Desk, now: datetime) -> int:
    async with desk.factory() as s:
        ids = (
            await s.scalars(
                select(Reminder.id)
                .where(Reminder.status == "pending", Reminder.due_at <= now)
                .order_by(Reminder.due_at)
                .limit(BATCH)
            )
        ).all()
    n = 0
    for rid in ids:
        async with desk.factory() as s, s.begin():
            r: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
                update(Reminder)
                .where(Reminder.id == rid, Reminder.status == "pending")
                .values(status="sent", sent_at=now)
            )
            if r.rowcount != 1:
                continue
            reminder = await s.get(Reminder, rid)
            assert reminder is not None
            b = await s.get(Booking, reminder.booking_id)
            if b is None or not b.active:
                reminder.status = "cancelled"
                continue
            await add_event(s, outbox, booking_event(c.appointments.AppointmentReminderDue, b))
            n += 1
    return n


async def mark_no_shows(desk: Desk, now: datetime) -> int:
    limit = now - timedelta(minutes=desk.settings.no_show_grace_minutes)
    async with desk.factory() as s:
        ids = (
            await s.scalars(
                select(Booking.id)
                .where(Booking.status.in_(["booked", "ready", "pending_check"]))
                .where(Booking.ends_at < limit)
                .limit(BATCH)
            )
        ).all()
    n = 0
    for bid in ids:
        async with desk.factory() as s, s.begin():
            r: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
                update(Booking)
                .where(Booking.id == bid, Booking.status.in_(["booked", "ready", "pending_check"]))
                .values(status="no_show", active=False)
            )
            if r.rowcount != 1:
                continue
            b = await s.get(Booking, bid)
            assert b is not None
            audit(s, "booking", b.code, "no_show", "system")
            await add_event(s, outbox, booking_event(c.appointments.AppointmentNoShow, b))
            n += 1
    return n


async def run_jobs(desk: Desk, now: datetime | None = None) -> JobReport:
    now = now or now_utc()
    return JobReport(
        holds_released=await release_expired_holds(desk, now),
        reminders_sent=await send_due_reminders(desk, now),
        no_shows=await mark_no_shows(desk, now),
    )
