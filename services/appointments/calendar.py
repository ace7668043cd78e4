"""Local time (the bureau's zone, shared.localtime) and the slots an office offers on a day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.localtime import local_zone

TZ = local_zone()
PUBLIC_WAYS = ("appointment", "one_visit")


def utc(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_day(dt: datetime, tz: ZoneInfo = TZ) -> date:
    return utc(dt).astimezone(tz).date()


def day_bounds(day: date, tz: ZoneInfo = TZ) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def at_local(day: date, hhmm: str, tz: ZoneInfo = TZ) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    if h == 24:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return datetime.combine(day, time(h, m), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    opens: str
    closes: str
    extended: bool


@dataclass(frozen=True)
class SlotSpec:
    starts_at: datetime
    ends_at: datetime
    extended: bool


def slot_id(office_code: str, starts_at: datetime, way: str) -> str:
    return f"{office_code}.{utc(starts_at).strftime('%Y%m%dT%H%M')}.{way}"


def day_slots(
    day: date,
    periods: Sequence[Period],
    *,
    slot_minutes: int,
    closed: bool,
    always_open: bool,
    tz: ZoneInfo = TZ,
) -> list[SlotSpec]:
    """Slots of one local day. A closed day keeps only the 24x7 window (all extended)."""
    step = timedelta(minutes=slot_minutes)
    found: dict[datetime, SlotSpec] = {}
    if not closed:
        for p in periods:
            t, end = at_local(day, p.opens, tz), at_local(day, p.closes, tz)
            while t + step <= end:
                found.setdefault(t, SlotSpec(t, t + step, p.extended))
                t += step
    if always_open:
        t, end = day_bounds(day, tz)
        while t + step <= end:
            found.setdefault(t, SlotSpec(t, t + step, True))
            t += step
    return [found[k] for k in sorted(found)]
