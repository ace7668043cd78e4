"""DeskDb administration: a change of hours, seats, closures or the catalogue never cancels a
booking; the bookings left without their place are listed to move and their residents told."""

from __future__ import annotations

from datetime import date

import pytest

from services.appointments import bookings, catalogue
from services.appointments import desk_admin as da
from services.appointments.errors import Invalid
from tests.appointments.conftest import NOW, STATION, TUESDAY_10, DeskDb, events, local, sid, tx

TUESDAY = date(2026, 12, 8)
# the holiday runs on both databases; the other changes take the same path, on SQLite only
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
WEEK = [da.HoursSpec(wd, "08:30", "12:00", False) for wd in range(5) if wd != 1] + [
    da.HoursSpec(1, "14:30", "18:00", False),
    da.HoursSpec(2, "18:00", "20:00", True),
]


async def _book(desk: DeskDb, resident: str, slot: str = TUESDAY_10) -> str:
    b = await tx(
        desk, bookings.book, desk, resident_id=resident, service_code="hukou", slot_id=slot, now=NOW
    )
    return b.code


async def _listed(desk: DeskDb) -> dict[str, str]:
    return {b.code: i.cause for i, b in await tx(desk, da.to_move, office_code=STATION)}


async def _free(desk: DeskDb, day: date = TUESDAY) -> list[str]:
    slots = await tx(
        desk,
        catalogue.free_slots,
        desk,
        service_code="hukou",
        office_code=STATION,
        day=day,
        now=NOW,
    )
    return [s.id for s in slots]


async def test_a_holiday_closes_the_day_lists_its_bookings_and_tells_the_residents(
    desk: DeskDb,
) -> None:
    code = await _book(desk, "r1")
    assert TUESDAY_10 in await _free(desk)  # a seat is left at 10:00
    _, done = await tx(
        desk,
        da.add_closure,
        desk,
        office_code="*",
        day=TUESDAY,
        reason="冬至",
        actor_id="admin-0001",
    )
    assert done.listed == [code]
    with pytest.raises(Invalid, match="closed on 2026-12-08: 冬至"):
        await _free(desk)
    assert await _listed(desk) == {code: "closure"}
    assert (await tx(desk, bookings.get_booking, code)).status == "booked"  # not cancelled
    [told] = await events(desk, "appointment.affected")
    assert (told["booking_code"], told["resident_id"], told["cause"]) == (code, "r1", "closure")
    assert told["day_closed_for"] == "冬至"

    # the holiday withdrawn: the booking stands again, and the resident is told so
    done = await tx(
        desk, da.remove_closure, desk, office_code="*", day=TUESDAY, actor_id="admin-0001"
    )
    assert done.restored == [code]
    assert await _listed(desk) == {}
    assert [e["cause"] for e in await events(desk, "appointment.affected")] == [
        "closure",
        "restored",
    ]
    assert TUESDAY_10 in await _free(desk)


@sqlite_only
async def test_shorter_hours_list_the_bookings_outside_them_until_the_staff_move_them(
    desk: DeskDb,
) -> None:
    morning = await _book(desk, "r1")
    afternoon = await _book(desk, "r2", sid(local(2026, 12, 8, 15)))
    done = await tx(desk, da.set_hours, desk, STATION, WEEK, actor_id="admin-0001")
    assert done.listed == [morning]
    free = await _free(desk)
    assert TUESDAY_10 not in free and sid(local(2026, 12, 8, 15)) in free
    assert sid(local(2026, 12, 8, 14, 30)) in free  # the day is whole again around the booking
    assert await _listed(desk) == {morning: "hours"}

    await tx(
        desk,
        bookings.reschedule,
        desk,
        morning,
        slot_id=sid(local(2026, 12, 8, 16)),
        actor_id="clerk-desk",
        now=NOW,
    )
    assert await _listed(desk) == {}
    assert afternoon not in {c for c in await _listed(desk)}


@sqlite_only
async def test_fewer_seats_keep_the_earliest_bookings_and_list_the_later_ones(
    desk: DeskDb,
) -> None:
    first = await _book(desk, "r1")
    second = await _book(desk, "r2")
    done = await tx(
        desk, da.set_seats, desk, STATION, {"appointment": 1, "one_visit": 1}, actor_id="admin-0001"
    )
    assert done.listed == [second]
    assert await _listed(desk) == {second: "seats"}
    assert TUESDAY_10 not in await _free(desk)
    assert (await tx(desk, bookings.get_booking, first.strip())).status == "booked"


@sqlite_only
async def test_a_way_withdrawn_from_a_service_lists_its_bookings(desk: DeskDb) -> None:
    code = await _book(desk, "r1")
    svc = next(s for s in await tx(desk, catalogue.list_services) if s.code == "hukou")
    spec = da.ServiceSpec(
        name=svc.name,
        name_en=svc.name_en,
        category=svc.category,
        checklist=[*svc.checklist, "户口迁移证"],
        promised_days=3,
        ways=["online", "one_visit"],
    )
    saved, done = await tx(desk, da.save_service, desk, "hukou", spec, actor_id="admin-0001")
    assert (saved.promised_days, saved.checklist[-1]) == (3, "户口迁移证")
    assert done.listed == [code]
    assert await _listed(desk) == {code: "way"}
    with pytest.raises(Invalid, match="not offered as appointment"):
        await _free(desk)


@sqlite_only
async def test_bad_hours_are_refused_with_the_field(desk: DeskDb) -> None:
    overlapping = [
        da.HoursSpec(0, "08:30", "12:00", False),
        da.HoursSpec(0, "11:00", "13:00", True),
    ]
    with pytest.raises(Invalid, match="overlaps another of the same day") as caught:
        await tx(desk, da.set_hours, desk, STATION, overlapping, actor_id="admin-0001")
    assert caught.value.field == "hours.1.opens"
    with pytest.raises(Invalid, match="closes after it opens") as caught:
        await tx(
            desk,
            da.set_hours,
            desk,
            STATION,
            [da.HoursSpec(3, "18:00", "09:00", False)],
            actor_id="admin-0001",
        )
    assert caught.value.field == "hours.0.closes"
