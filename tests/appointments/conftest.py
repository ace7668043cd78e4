"""Fixtures of the appointments tests: a migrated, seeded database on SQLite and PostgreSQL.

The clock is passed explicitly (`NOW`, a Monday morning in Guyuan), so deadlines, cut-offs and
day boundaries are exact. Only two offices are seeded (the station of 蒋河村 and the 原州区 hall).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments import bookings, directory
from services.appointments.calendar import slot_id
from services.appointments.context import Desk
from services.appointments.models import Booking, Slot, outbox
from services.appointments.seed import seed
from shared import migrate
from shared.config import AppointmentsSettings
from shared.db import make_engine, make_session_factory, transaction
from shared.demo import org
from shared.messaging.contracts.directory import VillageListed

# the portal harness, for the appointments area's tests
from tests.portal.conftest import PortalHarness, portal_factory

__all__ = ["PortalHarness", "portal_factory"]

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SH).astimezone(UTC)  # Monday 09:00 local
STATION = "SYZ01"
HALL = "HYZ"
JIANGHE = "VYZ0101"


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def sid(when: datetime, office: str = STATION, way: str = "appointment") -> str:
    return slot_id(office, when.astimezone(UTC), way)


TUESDAY_10 = sid(local(2026, 12, 8, 10))


P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class DeskDb(Desk):
    """The desk's rules with its database, as the service holds them (its runtime's factory)."""

    factory: async_sessionmaker[AsyncSession]


async def tx(
    desk: DeskDb,
    fn: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """One domain call in its own unit of work, as a route makes it: commit, or roll back."""
    async with transaction(desk.factory) as s:
        return await fn(s, *args, **kwargs)


async def make_desk(url: str, **overrides: object) -> DeskDb:
    await asyncio.to_thread(migrate.upgrade, "appointments", url)
    settings = AppointmentsSettings(database_url=url, run_jobs=False, **overrides)  # type: ignore[arg-type]
    factory = make_session_factory(make_engine(url, pool_size=20))
    await seed(factory, only={STATION, HALL})
    await replicate_directory(factory)
    return DeskDb(settings, factory)


def demo_listings() -> list[VillageListed]:
    """What the disputes service lists for the demo organisation (its seed publishes these)."""
    o = org()
    first = {r.code: r.officer_ids[0] if r.officer_ids else None for r in o.rooms}
    chiefs = {s.code: s.chief_id for s in o.stations}
    return [
        VillageListed(
            village_code=v.code,
            village_name=v.name,
            station_code=v.station_code,
            police_room_code=v.police_room_code,
            officer_id=first.get(v.police_room_code),
            chief_id=chiefs.get(v.station_code),
        )
        for v in o.villages
    ]


async def replicate_directory(factory: async_sessionmaker[AsyncSession]) -> None:
    """The desk's directory replica as the consumer would have built it from the events."""
    async with transaction(factory) as session:
        for listed in demo_listings():
            await directory.record_village(session, listed)


@pytest.fixture
async def desk(db_url: str) -> AsyncIterator[DeskDb]:
    d = await make_desk(db_url)
    yield d
    bind = d.factory.kw["bind"]
    await bind.dispose()


async def events(d: DeskDb, routing_key: str | None = None) -> list[dict[str, object]]:
    async with d.factory() as s:
        q = select(outbox.c.routing_key, outbox.c.body).order_by(outbox.c.id)
        if routing_key:
            q = q.where(outbox.c.routing_key == routing_key)
        return [{"routing_key": rk, **body} for rk, body in (await s.execute(q)).all()]


async def seats(d: DeskDb, slot: str) -> tuple[int, int]:
    """A slot's (booked, capacity)."""
    async with d.factory() as s:
        row = await s.get(Slot, slot)
        assert row is not None
        return row.booked, row.capacity


async def book(desk: DeskDb, resident_id: str, slot: str = TUESDAY_10) -> Booking:
    """A resident's ID-card booking (hukou) made at NOW, in its own unit of work."""
    return await tx(
        desk,
        bookings.book,
        desk,
        resident_id=resident_id,
        service_code="hukou",
        slot_id=slot,
        now=NOW,
    )
