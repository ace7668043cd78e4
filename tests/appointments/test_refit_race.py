"""Desk changes at the same moment as other changes and as bookings, on PostgreSQL (SQLite
serialises its writers anyway): nothing fails, no slot offers a seat its office no longer has,
and every booking a change left without its place is listed once and its resident told once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import date

import pytest
from sqlalchemy import select

from services.appointments import bookings
from services.appointments import desk_admin as da
from services.appointments.errors import Conflict, Invalid
from services.appointments.models import ACTIVE_STATES, Booking, BookingIssue, Capacity, Slot
from services.appointments.refit import Refit
from tests.appointments.conftest import NOW, STATION, DeskDb, events, local, make_desk, sid, tx


@pytest.fixture
async def pg_desk(pg_url: Callable[[], str]) -> AsyncIterator[DeskDb]:
    d = await make_desk(pg_url())
    yield d
    await d.factory.kw["bind"].dispose()


async def _book(desk: DeskDb, resident: str, slot: str) -> str | None:
    try:
        b = await tx(
            desk,
            bookings.book,
            desk,
            resident_id=resident,
            service_code="hukou",
            slot_id=slot,
            now=NOW,
        )
    except Conflict:  # the slot is full (the change came first)
        return None
    return b.code


async def _seats(desk: DeskDb, seats: int) -> Refit:
    return await tx(
        desk, da.set_seats, desk, STATION, {"appointment": seats, "one_visit": 1}, actor_id="admin"
    )


async def _check_the_desk_is_consistent(desk: DeskDb) -> None:
    """Each slot offers the office's seats (or none where it no longer fits: then all of its
    bookings are listed); a slot's bookings beyond its seats are listed; each listed once."""
    async with desk.factory() as s:
        seats = {
            c.way: c.seats
            for c in await s.scalars(select(Capacity).where(Capacity.office_code == STATION))
        }
        slots = {x.id: x for x in await s.scalars(select(Slot).where(Slot.starts_at >= NOW))}
        active = list(
            await s.scalars(
                select(Booking)
                .where(Booking.office_code == STATION, Booking.status.in_(ACTIVE_STATES))
                .order_by(Booking.created_at, Booking.id)
            )
        )
        issues = list(
            await s.scalars(select(BookingIssue).where(BookingIssue.resolved_at.is_(None)))
        )
    open_issues = Counter(i.booking_code for i in issues)
    assert all(n == 1 for n in open_issues.values()), open_issues
    by_slot: dict[str, list[Booking]] = {}
    for b in active:
        by_slot.setdefault(b.slot_id, []).append(b)
    for sid_, slot in slots.items():
        if slot.office_code != STATION:
            continue
        assert slot.capacity in (0, seats.get(slot.way, 0)), (sid_, slot.capacity, seats)
        here = by_slot.get(sid_, [])
        assert slot.booked == len(here), sid_
        keep = slot.capacity if slot.capacity else 0
        for b in here[keep:]:
            assert open_issues[b.code] == 1, f"{b.code} in {sid_} over the seats, not listed"
    told = Counter(e["booking_code"] for e in await events(desk, "appointment.affected"))
    restored = Counter(
        e["booking_code"]
        for e in await events(desk, "appointment.affected")
        if e["cause"] == "restored"
    )
    for code in {b.code for b in active}:  # told once per listing, and once per restoring
        assert told[code] - 2 * restored[code] == open_issues[code], (code, told, restored)


async def test_two_seat_changes_at_once_both_apply_and_list_each_booking_once(
    pg_desk: DeskDb,
) -> None:
    desk = pg_desk
    codes = [await _book(desk, f"r{n}", sid(local(2026, 12, 8, 10))) for n in range(2)]
    assert None not in codes
    # both settle without a failure (without the desk lock, the second's insert of the seats
    # collided with the first's), one after the other
    await asyncio.gather(_seats(desk, 1), _seats(desk, 0))
    async with desk.factory() as s:
        cap = await s.get(Capacity, (STATION, "appointment"))
    assert cap is not None and cap.seats in (0, 1)
    # the change applied last decides: the bookings beyond its seats are the ones listed
    listed = {b.code: i.cause for i, b in await tx(desk, da.to_move, office_code=STATION)}
    assert listed == dict.fromkeys(codes[cap.seats :], "seats")
    await _check_the_desk_is_consistent(desk)


async def test_a_closure_and_a_seat_change_at_once_keep_the_listing(pg_desk: DeskDb) -> None:
    desk = pg_desk
    tuesday = date(2026, 12, 8)
    codes = [await _book(desk, f"r{n}", sid(local(2026, 12, 8, 10))) for n in range(2)]
    closing = tx(
        desk, da.add_closure, desk, office_code=STATION, day=tuesday, reason="停电", actor_id="a"
    )
    await asyncio.gather(closing, _seats(desk, 1))
    listed = {b.code: i.cause for i, b in await tx(desk, da.to_move, office_code=STATION)}
    assert listed == dict.fromkeys(codes, "closure")  # the closed day wins over the seats
    await _check_the_desk_is_consistent(desk)


async def test_bookings_racing_a_seat_change_never_pass_the_new_seats(pg_desk: DeskDb) -> None:
    """Days nobody has looked at yet are built by the bookings themselves while the change
    runs: no day is built from the seats being replaced, and no booking made meanwhile escapes
    the listing."""
    desk = pg_desk
    slots = [sid(local(2026, 12, d, h)) for d in (9, 10, 11) for h in (9, 10, 11)]

    async def booking(n: int) -> str | None:
        await asyncio.sleep(0.002 * n)
        try:
            return await _book(desk, f"res-{n:03d}", slots[n % len(slots)])
        except Invalid:
            return None

    change = _seats(desk, 1)
    outcome = await asyncio.gather(*[booking(n) for n in range(12)], change)
    made = [c for c in outcome[:-1] if c is not None]
    assert made  # some bookings got in before, or around, the change
    await _check_the_desk_is_consistent(desk)
    # and after the change, a slot holding a booking has no seat left
    for slot in slots:
        async with desk.factory() as s:
            row = await s.get(Slot, slot)
        if row is not None and row.booked >= 1:
            assert await _book(desk, f"late-{slot}", slot) is None
