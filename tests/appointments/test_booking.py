"""Booking rules on SQLite and PostgreSQL: limits, listing, cut-offs, holds, audit (capacity under
concurrency: test_booking_concurrency.py)."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select

from services.appointments import bookings, catalogue, staff
from services.appointments.errors import Conflict, Forbidden, Invalid
from services.appointments.models import Audit
from tests.appointments.conftest import (
    HALL,
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


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"service_code": "passport"}, "service_code", "unknown service 'passport'"),
        ({"slot_id": sid(local(2026, 12, 7, 8, 30))}, "slot_id", "the slot is in the past"),
        (
            {"slot_id": sid(local(2026, 12, 7, 9, 0))},
            "slot_id",
            "booking closes 30 minutes before the start",
        ),
        ({"slot_id": sid(local(2027, 1, 11, 9))}, "slot_id", "bookings open only 30 days ahead"),
        (
            {"slot_id": sid(local(2027, 1, 1, 9))},
            "slot_id",
            "头营镇派出所 is closed on 2027-01-01: 元旦",
        ),
        (
            {"slot_id": sid(local(2026, 12, 8, 7))},
            "slot_id",
            "头营镇派出所 has no appointment slot at that time",
        ),
        ({"service_code": "vehicle"}, "slot_id", "头营镇派出所 does not offer 车驾管业务"),
        ({"slot_id": "nonsense"}, "slot_id", "malformed slot id"),
    ],
)
async def test_bad_bookings_are_refused_with_field_and_reason(
    desk: DeskDb, kwargs: dict[str, str], field: str, reason: str
) -> None:
    args = {"resident_id": "res-1", "service_code": "hukou", "slot_id": TUESDAY_10} | kwargs
    with pytest.raises(Invalid) as err:
        await tx(
            desk,
            bookings.book,
            desk,
            resident_id=args["resident_id"],
            service_code=args["service_code"],
            slot_id=args["slot_id"],
            now=NOW,
        )
    assert (err.value.field, err.value.reason) == (field, reason)


async def test_full_slot_and_closed_day_listing(desk: DeskDb) -> None:
    await tx(
        desk,
        staff.set_capacity,
        desk,
        office_code=STATION,
        way="appointment",
        seats=1,
        actor_id="a",
    )
    await book(desk, "r1")
    with pytest.raises(Conflict, match="the slot is full"):
        await book(desk, "r2")
    free = await tx(
        desk,
        catalogue.free_slots,
        desk,
        service_code="hukou",
        office_code=STATION,
        day=date(2026, 12, 8),
        now=NOW,
    )
    assert TUESDAY_10 not in [s.id for s in free]
    with pytest.raises(Invalid, match="closed on 2027-01-01: 元旦") as err:
        await tx(
            desk,
            catalogue.free_slots,
            desk,
            service_code="hukou",
            office_code=STATION,
            day=date(2027, 1, 1),
            now=NOW,
        )
    assert err.value.field == "date"


async def test_slots_follow_the_shanghai_day_and_mark_extended_hours(desk: DeskDb) -> None:
    free = await tx(
        desk,
        catalogue.free_slots,
        desk,
        service_code="hukou",
        office_code=STATION,
        day=date(2026, 12, 9),
        now=NOW,
    )
    starts = [s.starts_at.replace(tzinfo=UTC).astimezone(local(2026, 1, 1, 0).tzinfo) for s in free]
    assert {t.date() for t in starts} == {date(2026, 12, 9)}
    assert starts[0].strftime("%H:%M") == "08:30"
    assert starts[-1].strftime("%H:%M") == "19:30"  # Wednesday evening extended hours
    extended = {t.strftime("%H:%M") for t, s in zip(starts, free, strict=True) if s.extended}
    assert extended == {
        "12:00",
        "12:30",
        "13:00",
        "13:30",
        "14:00",
        "18:00",
        "18:30",
        "19:00",
        "19:30",
    }
    # the hall's 24x7 window stays open on a holiday, every slot marked extended
    holiday = await tx(
        desk,
        catalogue.free_slots,
        desk,
        service_code="vehicle",
        office_code=HALL,
        day=date(2027, 1, 1),
        now=local(2026, 12, 20, 9).astimezone(UTC),
    )
    assert len(holiday) == 48
    assert all(s.extended for s in holiday)
    b = await tx(
        desk,
        bookings.book,
        desk,
        resident_id="r-night",
        service_code="vehicle",
        slot_id=holiday[6].id,
        now=local(2026, 12, 20, 9).astimezone(UTC),
    )
    assert (b.way, b.starts_at.replace(tzinfo=UTC).astimezone(starts[0].tzinfo).hour) == (
        "extended",
        3,
    )


async def test_cancel_and_reschedule_respect_the_cut_off_and_ownership(desk: DeskDb) -> None:
    b = await book(desk, "r1")
    with pytest.raises(Forbidden):
        await tx(desk, bookings.cancel, desk, b.code, actor_id="r2", resident_id="r2", now=NOW)
    late = local(2026, 12, 8, 8, 30).astimezone(UTC)
    with pytest.raises(Conflict, match="until 120 minutes before the start"):
        await tx(desk, bookings.cancel, desk, b.code, actor_id="r1", resident_id="r1", now=late)
    new_slot = sid(local(2026, 12, 9, 15))
    moved = await tx(
        desk,
        bookings.reschedule,
        desk,
        b.code,
        slot_id=new_slot,
        actor_id="r1",
        resident_id="r1",
        now=NOW,
    )
    assert moved.slot_id == new_slot
    assert (await seats(desk, TUESDAY_10))[0] == 0
    assert (await seats(desk, new_slot))[0] == 1
    (ev,) = await events(desk, "appointment.rescheduled")
    assert ev["previous_starts_at"] == local(2026, 12, 8, 10).astimezone(UTC).isoformat()
    assert ev["resident_id"] == "r1"
    await tx(desk, bookings.cancel, desk, b.code, actor_id="r1", resident_id="r1", now=NOW)
    assert (await seats(desk, new_slot))[0] == 0
    with pytest.raises(Conflict, match="a cancelled booking cannot be cancelled"):
        await tx(desk, bookings.cancel, desk, b.code, actor_id="r1", resident_id="r1", now=NOW)
    async with desk.factory() as s:
        trail = (await s.scalars(select(Audit.action).where(Audit.entity_id == b.code))).all()
    assert list(trail) == ["booked", "rescheduled", "cancelled"]


async def test_a_hold_keeps_the_seat_briefly_then_releases_it(desk: DeskDb) -> None:
    from services.appointments import runner

    await tx(
        desk,
        staff.set_capacity,
        desk,
        office_code=STATION,
        way="appointment",
        seats=1,
        actor_id="a",
    )
    held = await tx(
        desk,
        bookings.book,
        desk,
        resident_id="r1",
        service_code="hukou",
        slot_id=TUESDAY_10,
        hold=True,
        now=NOW,
    )
    assert held.status == "held"
    assert await events(desk, "appointment.booked") == []
    with pytest.raises(Conflict, match="full"):
        await book(desk, "r2")
    report = await runner.run_jobs(desk.factory, desk, NOW + timedelta(minutes=6))
    assert report.holds_released == 1
    with pytest.raises(Conflict, match="expired"):
        await tx(
            desk,
            bookings.confirm,
            desk,
            held.code,
            resident_id="r1",
            now=NOW + timedelta(minutes=6),
        )
    taken = await tx(
        desk,
        bookings.book,
        desk,
        resident_id="r2",
        service_code="hukou",
        slot_id=TUESDAY_10,
        hold=True,
        now=NOW,
    )
    confirmed = await tx(
        desk, bookings.confirm, desk, taken.code, resident_id="r2", now=NOW + timedelta(minutes=2)
    )
    assert confirmed.status == "booked"
    assert [e["booking_code"] for e in await events(desk, "appointment.booked")] == [taken.code]
