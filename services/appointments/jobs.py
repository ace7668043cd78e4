"""Periodic jobs: expired holds, reminders the day before, no-shows.

Each step takes the caller's session and handles one row: it claims the row by a conditional
UPDATE inside the transaction that also queues its event, so several service processes can run
the jobs at once and each effect happens exactly once. The loop that opens one transaction per
row is services/appointments/runner.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.bookings import booking_event
from services.appointments.catalogue import release_seat
from services.appointments.context import Desk, audit
from services.appointments.models import Booking, Reminder, outbox
from shared.messaging import contracts as c
from shared.messaging.outbox import add_event

BATCH = 200
NO_SHOW_STATES = ("booked", "ready", "pending_check")


@dataclass
class JobReport:
    holds_released: int = 0
    reminders_sent: int = 0
    no_shows: int = 0

    @property
    def total(self) -> int:
        return self.holds_released + self.reminders_sent + self.no_shows


async def expired_holds(s: AsyncSession, now: datetime) -> Sequence[int]:
    q = select(Booking.id).where(Booking.status == "held", Booking.held_until < now)
    return (await s.scalars(q.limit(BATCH))).all()


async def release_hold(s: AsyncSession, booking_id: int) -> bool:
    r: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == "held")
        .values(status="expired", active=False)
    )
    if r.rowcount != 1:
        return False
    b = await s.get(Booking, booking_id)
    assert b is not None
    await release_seat(s, b.slot_id)
    audit(s, "booking", b.code, "expired", "system")
    return True


async def due_reminders(s: AsyncSession, now: datetime) -> Sequence[int]:
    q = select(Reminder.id).where(Reminder.status == "pending", Reminder.due_at <= now)
    return (await s.scalars(q.order_by(Reminder.due_at).limit(BATCH))).all()


async def send_reminder(s: AsyncSession, reminder_id: int, now: datetime) -> bool:
    r: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.status == "pending")
        .values(status="sent", sent_at=now)
    )
    if r.rowcount != 1:
        return False
    reminder = await s.get(Reminder, reminder_id)
    assert reminder is not None
    b = await s.get(Booking, reminder.booking_id)
    if b is None or not b.active:
        reminder.status = "cancelled"
        return False
    await add_event(s, outbox, booking_event(c.appointments.AppointmentReminderDue, b))
    return True


async def missed(s: AsyncSession, desk: Desk, now: datetime) -> Sequence[int]:
    limit = now - timedelta(minutes=desk.settings.no_show_grace_minutes)
    q = select(Booking.id).where(Booking.status.in_(NO_SHOW_STATES), Booking.ends_at < limit)
    return (await s.scalars(q.limit(BATCH))).all()


async def mark_no_show(s: AsyncSession, booking_id: int) -> bool:
    r: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
        update(Booking)
        .where(Booking.id == booking_id, Booking.status.in_(NO_SHOW_STATES))
        .values(status="no_show", active=False)
    )
    if r.rowcount != 1:
        return False
    b = await s.get(Booking, booking_id)
    assert b is not None
    audit(s, "booking", b.code, "no_show", "system")
    await add_event(s, outbox, booking_event(c.appointments.AppointmentNoShow, b))
    return True
