"""Administration of the six-ways desk (no FastAPI here): the services with their document
checklists, promised times and ways; the offices with their hours, extended-hours and 24x7
windows, seats per way and closures.

Every edit commits with its audit row and with `refit.refit` of the offices it touches, so a
booking that no longer fits is listed for the staff to move and its resident is told; nothing
is cancelled by an edit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.calendar import day_bounds, local_day, now_utc
from services.appointments.catalogue import get_office
from services.appointments.context import Desk, audit
from services.appointments.errors import Conflict, Invalid, NotFound
from services.appointments.models import (
    ACTIVE_STATES,
    Booking,
    BookingIssue,
    Capacity,
    Closure,
    Office,
    OpeningHours,
    Service,
    Slot,
    Window,
)
from services.appointments.refit import Refit, hold_desk, refit

WAYS = ("online", "appointment", "one_visit", "extended", "self_service", "door_to_door")
SEAT_WAYS = ("appointment", "one_visit", "door_to_door")  # the ways booked into slots
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{1,31}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    name_en: str
    category: str
    checklist: list[str]
    promised_days: int
    ways: list[str]


@dataclass(frozen=True)
class OfficeSpec:
    name: str
    kind: str
    county_code: str
    station_code: str | None
    address: str
    slot_minutes: int
    always_open: bool
    services: list[str]


@dataclass(frozen=True)
class HoursSpec:
    weekday: int
    opens: str
    closes: str
    extended: bool


@dataclass(frozen=True)
class WindowSpec:
    code: str
    name: str
    always_open: bool


def _check_code(code: str, field: str) -> None:
    if not CODE.match(code):
        raise Invalid("a code is 2 to 32 letters, digits or _, starting with a letter", field)


async def _refit_all(s: AsyncSession, desk: Desk, offices: Sequence[str], actor: str) -> Refit:
    listed: list[str] = []
    restored: list[str] = []
    now = now_utc()
    for code in offices:
        done = await refit(s, desk, code, now=now, actor_id=actor)
        listed += done.listed
        restored += done.restored
    return Refit(listed, restored)


# --- services ----------------------------------------------------------------------------


def _check_service(spec: ServiceSpec) -> None:
    if len(set(spec.checklist)) != len(spec.checklist):
        raise Invalid("a document is listed twice", "checklist")
    if any(not d.strip() for d in spec.checklist):
        raise Invalid("a document needs a name", "checklist")
    unknown = [w for w in spec.ways if w not in WAYS]
    if unknown or not spec.ways:
        raise Invalid(f"ways are some of {', '.join(WAYS)}", "ways")


async def save_service(
    s: AsyncSession, desk: Desk, code: str, spec: ServiceSpec, *, actor_id: str
) -> tuple[Service, Refit]:
    _check_code(code, "code")
    _check_service(spec)
    await hold_desk(s)
    svc = await s.get(Service, code)
    created = svc is None
    if svc is None:
        svc = Service(code=code)
        s.add(svc)
    svc.name, svc.name_en, svc.category = spec.name, spec.name_en, spec.category
    svc.checklist, svc.promised_days = list(spec.checklist), spec.promised_days
    svc.ways = [w for w in WAYS if w in spec.ways]
    await s.flush()
    audit(s, "service", code, "created" if created else "changed", actor_id, **spec.__dict__)
    offices = [o.code for o in await s.scalars(select(Office)) if code in o.services]
    done = await _refit_all(s, desk, [] if created else offices, actor_id)
    return svc, done


# --- offices -----------------------------------------------------------------------------


async def office_detail(
    s: AsyncSession, code: str
) -> tuple[Office, list[OpeningHours], list[Capacity], list[Window], list[Closure]]:
    office = await s.get(Office, code)
    if office is None:
        raise NotFound(f"no office {code}")
    hours = await s.scalars(
        select(OpeningHours)
        .where(OpeningHours.office_code == code)
        .order_by(OpeningHours.weekday, OpeningHours.opens)
    )
    seats = await s.scalars(
        select(Capacity).where(Capacity.office_code == code).order_by(Capacity.way)
    )
    windows = await s.scalars(
        select(Window).where(Window.office_code == code).order_by(Window.code)
    )
    closures = await s.scalars(
        select(Closure)
        .where(Closure.office_code.in_([code, "*"]), Closure.day >= now_utc().date())
        .order_by(Closure.day)
    )
    return office, list(hours), list(seats), list(windows), list(closures)


async def save_office(
    s: AsyncSession, desk: Desk, code: str, spec: OfficeSpec, *, actor_id: str
) -> tuple[Office, Refit]:
    _check_code(code, "code")
    if spec.kind not in ("station", "hall"):
        raise Invalid("an office is a station or a hall", "kind")
    if spec.slot_minutes not in (10, 15, 20, 30, 60):
        raise Invalid("a slot lasts 10, 15, 20, 30 or 60 minutes", "slot_minutes")
    await hold_desk(s)
    known = set(await s.scalars(select(Service.code)))
    unknown = [x for x in spec.services if x not in known]
    if unknown:
        raise Invalid(f"unknown service {unknown[0]!r}", "services")
    office = await s.get(Office, code)
    created = office is None
    if office is None:
        office = Office(code=code)
        s.add(office)
    office.name, office.kind, office.county_code = spec.name, spec.kind, spec.county_code
    office.station_code, office.address = spec.station_code, spec.address
    office.slot_minutes, office.always_open = spec.slot_minutes, spec.always_open
    office.services = list(dict.fromkeys(spec.services))
    await s.flush()
    audit(s, "office", code, "created" if created else "changed", actor_id, **spec.__dict__)
    done = await _refit_all(s, desk, [code], actor_id)
    return office, done


def _minutes(hhmm: str) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    return h * 60 + m


def _check_hours(periods: Sequence[HoursSpec]) -> None:
    by_day: dict[int, list[tuple[int, int]]] = {}
    for i, p in enumerate(periods):
        for key in ("opens", "closes"):
            if not HHMM.match(getattr(p, key)):
                raise Invalid("a time is HH:MM, from 00:00 to 24:00", f"hours.{i}.{key}")
        if not 0 <= p.weekday <= 6:
            raise Invalid("the weekday is 0 (Monday) to 6 (Sunday)", f"hours.{i}.weekday")
        start, end = _minutes(p.opens), _minutes(p.closes)
        if end <= start:
            raise Invalid("a period closes after it opens", f"hours.{i}.closes")
        for a, b in by_day.get(p.weekday, []):
            if start < b and a < end:
                raise Invalid("the period overlaps another of the same day", f"hours.{i}.opens")
        by_day.setdefault(p.weekday, []).append((start, end))


async def set_hours(
    s: AsyncSession, desk: Desk, code: str, periods: Sequence[HoursSpec], *, actor_id: str
) -> Refit:
    """The office's whole week, replaced: ordinary and extended-hours periods per weekday."""
    _check_hours(periods)
    await hold_desk(s)
    await get_office(s, code, "office")
    await s.execute(delete(OpeningHours).where(OpeningHours.office_code == code))
    # ids chosen here: the seed wrote explicit ids, so a PostgreSQL sequence lags behind
    top = int(await s.scalar(select(func.max(OpeningHours.id))) or 0)
    for n, p in enumerate(periods, start=1):
        s.add(
            OpeningHours(
                id=top + n,
                office_code=code,
                weekday=p.weekday,
                opens=p.opens,
                closes=p.closes,
                extended=p.extended,
            )
        )
    await s.flush()
    audit(
        s,
        "office",
        code,
        "hours",
        actor_id,
        hours=[f"{p.weekday} {p.opens}-{p.closes}{' ext' if p.extended else ''}" for p in periods],
    )
    return await _refit_all(s, desk, [code], actor_id)


async def set_seats(
    s: AsyncSession, desk: Desk, code: str, seats: dict[str, int], *, actor_id: str
) -> Refit:
    """Seats per slot for each way booked into slots; a way left out offers no seat."""
    for way, n in seats.items():
        if way not in SEAT_WAYS:
            raise Invalid(f"seats are set for {', '.join(SEAT_WAYS)}", f"seats.{way}")
        if not 0 <= n <= 100:
            raise Invalid("seats must be between 0 and 100", f"seats.{way}")
    await hold_desk(s)
    await get_office(s, code, "office")
    await s.execute(delete(Capacity).where(Capacity.office_code == code))
    for way, n in sorted(seats.items()):
        s.add(Capacity(office_code=code, way=way, seats=n))
    await s.flush()
    audit(s, "office", code, "capacity", actor_id, seats=seats)
    return await _refit_all(s, desk, [code], actor_id)


async def set_windows(
    s: AsyncSession, code: str, windows: Sequence[WindowSpec], *, actor_id: str
) -> list[Window]:
    """The counters of an office; a 24x7 window is where the extended-hours desk sits."""
    seen: set[str] = set()
    for i, w in enumerate(windows):
        _check_code(w.code, f"windows.{i}.code")
        if w.code in seen:
            raise Invalid(f"the window {w.code} is listed twice", f"windows.{i}.code")
        seen.add(w.code)
    await get_office(s, code, "office")
    await s.execute(delete(Window).where(Window.office_code == code))
    rows = [
        Window(office_code=code, code=w.code, name=w.name, always_open=w.always_open)
        for w in windows
    ]
    s.add_all(rows)
    audit(s, "office", code, "windows", actor_id, windows=[w.code for w in windows])
    return rows


# --- closures ----------------------------------------------------------------------------


async def _offices_for(s: AsyncSession, desk: Desk, office_code: str, day: date) -> list[str]:
    """The offices a closure touches: for "*", those with slots that day (a booking always
    holds a slot; an office nobody looked at that day builds it closed on first look)."""
    if office_code != "*":
        return [office_code]
    start, end = day_bounds(day, desk.tz)
    q = select(Slot.office_code).where(Slot.starts_at >= start, Slot.starts_at < end)
    return sorted(set(await s.scalars(q.distinct())))


async def add_closure(
    s: AsyncSession,
    desk: Desk,
    *,
    office_code: str,
    day: date,
    reason: str,
    actor_id: str,
    now: datetime | None = None,
) -> tuple[Closure, Refit]:
    """Closes a day (a holiday for every office with "*"): its slots go; its bookings are
    listed to move and their residents told. A 24x7 window stays open."""
    now = now or now_utc()
    if not reason.strip():
        raise Invalid("a closure needs a reason", "reason")
    if day < local_day(now, desk.tz):
        raise Invalid(f"{day.isoformat()} is in the past", "day")
    await hold_desk(s)
    if office_code != "*":
        await get_office(s, office_code)
    if await s.get(Closure, (office_code, day)) is not None:
        raise Conflict(f"{day.isoformat()} is already closed")
    closure = Closure(office_code=office_code, day=day, reason=reason.strip())
    s.add(closure)
    await s.flush()
    audit(s, "office", office_code, "closure", actor_id, day=day.isoformat(), reason=reason)
    listed: list[str] = []
    for code in await _offices_for(s, desk, office_code, day):
        listed += (await refit(s, desk, code, now=now, actor_id=actor_id, day=day)).listed
    return closure, Refit(listed, [])


async def remove_closure(
    s: AsyncSession,
    desk: Desk,
    *,
    office_code: str,
    day: date,
    actor_id: str,
    now: datetime | None = None,
) -> Refit:
    """Reopens a day: bookings listed because of it stand again, and their residents are told."""
    now = now or now_utc()
    await hold_desk(s)
    closure = await s.get(Closure, (office_code, day))
    if closure is None:
        raise NotFound(f"{day.isoformat()} is not closed")
    await s.delete(closure)
    await s.flush()
    audit(s, "office", office_code, "reopened", actor_id, day=day.isoformat())
    listed: list[str] = []
    restored: list[str] = []
    for code in await _offices_for(s, desk, office_code, day):
        done = await refit(s, desk, code, now=now, actor_id=actor_id, day=day)
        listed += done.listed
        restored += done.restored
    return Refit(listed, restored)


# --- the bookings to move ----------------------------------------------------------------


async def to_move(
    s: AsyncSession, *, office_code: str | None = None, station_code: str | None = None
) -> list[tuple[BookingIssue, Booking]]:
    """Open issues whose booking is still active and still where the change found it."""
    q = (
        select(BookingIssue, Booking)
        .join(Booking, Booking.code == BookingIssue.booking_code)
        .where(
            BookingIssue.resolved_at.is_(None),
            Booking.slot_id == BookingIssue.slot_id,
            Booking.status.in_(ACTIVE_STATES),
        )
    )
    if office_code:
        q = q.where(BookingIssue.office_code == office_code)
    if station_code:
        offices = select(Office.code).where(Office.station_code == station_code)
        q = q.where(BookingIssue.office_code.in_(offices))
    rows = await s.execute(q.order_by(Booking.starts_at, Booking.code))
    return [(i, b) for i, b in rows.all()]
