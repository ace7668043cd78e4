"""Who serves a village, from the desk's replica of the disputes service's directory (kept
by the `directory.village_listed` events, see consumer.py). No demo data is read here."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.models import DirectoryVillage
from shared.messaging.contracts.directory import VillageListed
from workflows.home_visits.types import Assignment


async def record_village(session: AsyncSession, listed: VillageListed) -> None:
    """Keep the newest listing of a village (an older one arriving late changes nothing)."""
    at = listed.occurred_at.astimezone(UTC)
    row = await session.get(DirectoryVillage, listed.village_code)
    if row is not None and _utc(row.listed_at) > at:
        return
    if row is None:
        row = DirectoryVillage(code=listed.village_code)
        session.add(row)
    row.name = listed.village_name
    row.station_code = listed.station_code
    row.police_room_code = listed.police_room_code
    row.officer_id = listed.officer_id
    row.chief_id = listed.chief_id
    row.listed_at = at


async def village(session: AsyncSession, village_code: str | None) -> DirectoryVillage | None:
    return await session.get(DirectoryVillage, village_code) if village_code else None


async def assignment_for(session: AsyncSession, village_code: str | None) -> Assignment:
    """The community officer of the village's police room, and the station chief above."""
    row = await village(session, village_code)
    if row is None:
        return Assignment(None, None, None)
    return Assignment(row.officer_id, row.station_code, row.chief_id)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
