"""Catalogue, offices and slots: what can be booked where and when.

Slot rows are materialised per office, day and way on first look (idempotent inserts), so
capacity lives in one row per slot and way that only conditional UPDATEs move.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.calendar import (
    PUBLIC_WAYS,
    Period,
    day_bounds,
    day_slots,
    local_day,
    now_utc,
    slot_id,
    utc,
)
from services.appointments.context import Desk
from services.appointments.errors import Invalid
from services.appointments.models import (
    Capacity,
    Closure,
    Office,
    OpeningHours,
    Service,
    Slot,
)
from shared.messaging.outbox import insert_ignore_many

BOOKABLE_WAYS = PUBLIC_WAYS
DESK_LOCK = 0x6465_736B  # "desk": the advisory lock of the desk's settings (refit.py)


async def hold_desk(s: AsyncSession, *, shared: bool = False) -> None:
    """Serialise desk changes on PostgreSQL: every change takes the desk first in its
    transaction (held until it commits), so two changes never re-fit from each other's
    half-made settings; building a day's slots takes it `shared`, so no day is built from
    settings a change is replacing. SQLite serialises writers already (BEGIN IMMEDIATE)."""
    if s.get_bind().dialect.name != "postgresql":
        return
    lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await s.execute(text(f"SELECT {lock}(:key)"), {"key": DESK_LOCK})


async def claim_seat(s: AsyncSession, sid: str) -> bool:
    result: CursorResult[Any] = await s.execute(  # type: ignore[assignment]
        update(Slot)
        .where(Slot.id == sid, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
    )
    return result.rowcount == 1


async def claim_seat_returning(s: AsyncSession, sid: str) -> Slot | None:
    """`claim_seat` that hands back the claimed slot (None: full, or no such slot row yet)."""
    stmt = (
        update(Slot)
        .where(Slot.id == sid, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .returning(Slot)
    )
    return (await s.scalars(stmt)).first()


async def service_and_office(
    s: AsyncSession, service_code: str, sid: str
) -> tuple[Service, Office]:
    """The service and the slot's office in one query; the usual errors when one is unknown."""
    office_code = parse_slot_id(sid)[0]
    row = (
        await s.execute(
            select(Service, Office)
            .join_from(Service, Office, true())  # two primary-key rows, one round trip
            .where(Service.code == service_code, Office.code == office_code)
        )
    ).first()
    if row is not None:
        return row[0], row[1]
    return await get_service(s, service_code), await get_office(s, office_code, "slot_id")


async def release_seat(s: AsyncSession, sid: str) -> None:
    await s.execute(
        update(Slot).where(Slot.id == sid, Slot.booked > 0).values(booked=Slot.booked - 1)
    )


# --- catalogue ---------------------------------------------------------------------------


async def list_services(s: AsyncSession) -> list[Service]:
    return list((await s.scalars(select(Service).order_by(Service.code))).all())


async def get_service(s: AsyncSession, code: str, field: str = "service_code") -> Service:
    svc = await s.get(Service, code)
    if svc is None:
        raise Invalid(f"unknown service {code!r}", field)
    return svc


async def get_office(s: AsyncSession, code: str, field: str = "office_code") -> Office:
    office = await s.get(Office, code)
    if office is None:
        raise Invalid(f"unknown office {code!r}", field)
    return office


async def list_offices(s: AsyncSession, *, service_code: str | None = None) -> list[Office]:
    offices = (await s.scalars(select(Office).order_by(Office.code))).all()
    return [o for o in offices if service_code is None or service_code in o.services]


async def closure_of(s: AsyncSession, office_code: str, day: date) -> Closure | None:
    return (
        await s.scalars(
            select(Closure).where(Closure.office_code.in_([office_code, "*"]), Closure.day == day)
        )
    ).first()


async def materialise_day(desk: Desk, s: AsyncSession, office: Office, day: date) -> None:
    """Insert the day's slot rows (idempotent: concurrent callers insert the same ids)."""
    await hold_desk(s, shared=True)  # not from settings a desk change is replacing
    hours = (
        await s.scalars(
            select(OpeningHours).where(
                OpeningHours.office_code == office.code, OpeningHours.weekday == day.weekday()
            )
        )
    ).all()
    seats = {
        cap.way: cap.seats
        for cap in (await s.scalars(select(Capacity).where(Capacity.office_code == office.code)))
    }
    specs = day_slots(
        day,
        [Period(h.opens, h.closes, h.extended) for h in hours],
        slot_minutes=office.slot_minutes,
        closed=await closure_of(s, office.code, day) is not None,
        always_open=office.always_open,
        tz=desk.tz,
    )
    rows: list[dict[str, object]] = [
        {
            "id": slot_id(office.code, spec.starts_at, way),
            "office_code": office.code,
            "way": way,
            "starts_at": spec.starts_at,
            "ends_at": spec.ends_at,
            "extended": spec.extended,
            "capacity": n,
            "booked": 0,
        }
        for spec in specs
        for way, n in seats.items()
    ]
    # one statement for the day (a day is at most 24 h x 4 slots x a few ways, well under
    # SQLite's 32,766 bound parameters); slots another process made meanwhile are kept
    await insert_ignore_many(s, Slot.__table__, rows, ["id"])  # type: ignore[arg-type]


def _check_bookable_date(desk: Desk, day: date, now: datetime, field: str) -> None:
    today = local_day(now, desk.tz)
    if day < today:
        raise Invalid(f"{day.isoformat()} is in the past", field)
    if day > today + timedelta(days=desk.settings.book_days_ahead):
        raise Invalid(f"bookings open only {desk.settings.book_days_ahead} days ahead", field)


async def free_slots(
    s: AsyncSession,
    desk: Desk,
    *,
    service_code: str,
    office_code: str,
    day: date,
    way: str = "appointment",
    now: datetime | None = None,
) -> list[Slot]:
    now = now or now_utc()
    if way not in BOOKABLE_WAYS:
        raise Invalid(f"way must be one of {', '.join(BOOKABLE_WAYS)}", "way")
    _check_bookable_date(desk, day, now, "date")
    svc = await get_service(s, service_code, "service")
    office = await get_office(s, office_code, "office")
    if svc.code not in office.services:
        raise Invalid(f"{office.name} does not offer {svc.name}", "office")
    if way not in svc.ways:
        raise Invalid(f"{svc.name} is not offered as {way}", "way")
    closure = await closure_of(s, office.code, day)
    if closure is not None and not office.always_open:
        raise Invalid(f"{office.name} is closed on {day.isoformat()}: {closure.reason}", "date")
    start, end = day_bounds(day, desk.tz)
    if (await s.scalar(select(Slot.id).where(_in_day(office.code, start, end)))) is None:
        await materialise_day(desk, s, office, day)
    rows = (
        await s.scalars(
            select(Slot)
            .where(_in_day(office.code, start, end), Slot.way == way)
            .order_by(Slot.starts_at)
        )
    ).all()
    cutoff = now + timedelta(minutes=desk.settings.book_cutoff_minutes)
    return [r for r in rows if utc(r.starts_at) >= cutoff and r.booked < r.capacity]


def _in_day(office_code: str, start: datetime, end: datetime) -> Any:
    return (Slot.office_code == office_code) & (Slot.starts_at >= start) & (Slot.starts_at < end)


def parse_slot_id(sid: str) -> tuple[str, datetime, str]:
    try:
        office_code, stamp, way = sid.split(".")
        starts = datetime.strptime(stamp, "%Y%m%dT%H%M")
    except ValueError:
        raise Invalid("malformed slot id", "slot_id") from None
    return office_code, utc(starts), way


def check_slot_time(desk: Desk, sid: str, now: datetime) -> date:
    """The slot's local day, if a slot at that time may still be booked now."""
    starts = parse_slot_id(sid)[1]
    if utc(starts) < now:
        raise Invalid("the slot is in the past", "slot_id")
    cutoff = desk.settings.book_cutoff_minutes
    if utc(starts) < now + timedelta(minutes=cutoff):
        raise Invalid(f"booking closes {cutoff} minutes before the start", "slot_id")
    day = local_day(starts, desk.tz)
    _check_bookable_date(desk, day, now, "slot_id")
    return day


async def load_slot(desk: Desk, s: AsyncSession, sid: str, now: datetime) -> tuple[Slot, Office]:
    office_code, _, way = parse_slot_id(sid)
    office = await get_office(s, office_code, "slot_id")
    day = check_slot_time(desk, sid, now)
    slot = await s.get(Slot, sid)
    if slot is None:
        await materialise_day(desk, s, office, day)
        slot = await s.get(Slot, sid)
    if slot is None:
        closure = await closure_of(s, office.code, day)
        if closure is not None:
            raise Invalid(
                f"{office.name} is closed on {day.isoformat()}: {closure.reason}", "slot_id"
            )
        raise Invalid(f"{office.name} has no {way} slot at that time", "slot_id")
    return slot, office
