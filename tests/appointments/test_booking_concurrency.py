"""Booking capacity under concurrency on SQLite and PostgreSQL: many requests for few seats, a
listed slot fought over, the same person booking twice at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date

from sqlalchemy import select

from services.appointments import bookings, catalogue, staff
from services.appointments.errors import Conflict
from services.appointments.models import Audit, Booking, Reminder
from tests.appointments.conftest import (
    NOW,
    STATION,
    TUESDAY_10,
    DeskDb,
    book,
    events,
    local,
    seats,
    sid,
    tx,
)


async def test_200_concurrent_requests_for_10_seats_make_exactly_10_bookings(desk: DeskDb) -> None:
    await tx(
        desk,
        staff.set_capacity,
        desk,
        office_code=STATION,
        way="appointment",
        seats=10,
        actor_id="a",
    )

    async def attempt(n: int) -> str:
        try:
            await book(desk, f"res-{n:03d}")
        except Conflict as exc:
            return exc.reason
        return "booked"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(200)))
    assert outcomes.count("booked") == 10
    assert set(outcomes) == {"booked", "the slot is full"}
    assert await seats(desk, TUESDAY_10) == (10, 10)
    async with desk.factory() as s:
        rows = (await s.scalars(select(Booking).where(Booking.slot_id == TUESDAY_10))).all()
    assert len(rows) == 10
    assert len(await events(desk, "appointment.booked")) == 10


async def test_a_listed_slot_fought_over_keeps_its_seats_and_writes_every_row(
    desk: DeskDb,
) -> None:
    """A listed (materialised) slot: on PostgreSQL the booking is one statement; 60 residents
    for 10 seats leave 10 bookings, each with its audit row, reminder and event."""
    await tx(
        desk,
        staff.set_capacity,
        desk,
        office_code=STATION,
        way="appointment",
        seats=10,
        actor_id="a",
    )
    listed = await tx(
        desk,
        catalogue.free_slots,
        desk,
        service_code="hukou",
        office_code=STATION,
        day=date(2026, 12, 8),
        now=NOW,
    )
    assert TUESDAY_10 in {s.id for s in listed}

    async def attempt(n: int) -> str:
        try:
            b = await tx(
                desk,
                bookings.book,
                desk,
                resident_id=f"res-{n:03d}",
                service_code="hukou",
                slot_id=TUESDAY_10,
                documents=["户口簿", "户口簿"],
                now=NOW,
            )
        except Conflict as exc:
            return exc.reason
        return b.code

    outcomes = await asyncio.gather(*(attempt(n) for n in range(60)))
    codes = {o for o in outcomes if o != "the slot is full"}
    assert len(codes) == 10
    assert await seats(desk, TUESDAY_10) == (10, 10)
    async with desk.factory() as s:
        rows = (await s.scalars(select(Booking).where(Booking.slot_id == TUESDAY_10))).all()
        q = select(Audit.entity_id, Audit.action, Audit.detail).where(Audit.entity == "booking")
        trail = (await s.execute(q)).all()
        due = (await s.scalars(select(Reminder.due_at).where(Reminder.status == "pending"))).all()
    assert {b.code for b in rows} == codes
    assert {(b.status, b.way, b.office_code, tuple(b.documents)) for b in rows} == {
        ("booked", "appointment", STATION, ("户口簿",))
    }
    assert sorted(trail) == sorted((c, "booked", {"slot_id": TUESDAY_10}) for c in codes)
    eve = local(2026, 12, 7, 18).astimezone(UTC)  # 18:00 local the evening before
    assert [d.replace(tzinfo=UTC) if d.tzinfo is None else d for d in due] == [eve] * 10
    booked = await events(desk, "appointment.booked")
    assert {e["booking_code"] for e in booked} == codes
    assert {(e["way"], e["office_code"], e["starts_at"]) for e in booked} == {
        ("appointment", STATION, local(2026, 12, 8, 10).astimezone(UTC).isoformat())
    }


async def test_same_person_booking_twice_concurrently_gets_one_booking(desk: DeskDb) -> None:
    slots = [sid(local(2026, 12, 8, h, m)) for h in (9, 10, 11) for m in (0, 30)]

    async def attempt(slot: str) -> bool:
        try:
            await book(desk, "res-twice", slot)
        except Conflict as exc:
            assert exc.reason == "you already have an active booking for this service"
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(s) for s in slots * 3))
    assert outcomes.count(True) == 1
    mine = await tx(desk, bookings.my_bookings, "res-twice")
    assert [b.status for b in mine] == ["booked"]
    taken = [await seats(desk, s) for s in slots]
    assert sum(b for b, _ in taken) == 1
    # another service is another booking; after cancelling, the same service is free again
    await tx(
        desk,
        bookings.book,
        desk,
        resident_id="res-twice",
        service_code="no_record",
        slot_id=slots[0],
        now=NOW,
    )
    await tx(
        desk,
        bookings.cancel,
        desk,
        mine[0].code,
        actor_id="res-twice",
        resident_id="res-twice",
        now=NOW,
    )
    again = await book(desk, "res-twice", slots[1])
    assert again.status == "booked"
