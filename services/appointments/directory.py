"""Who serves a village, from the desk's replica of the disputes service's directory (kept
by its `directory.*` events: villages, police rooms, officers' postings; see consumer.py).
Each record keeps its newest listing: one arriving late changes nothing. No demo data is
read here."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.models import DirectoryOfficer, DirectoryRoom, DirectoryVillage
from shared.messaging.contracts.directory import OfficerPosted, PoliceRoomListed, VillageListed
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
    row.active = listed.active
    row.listed_at = at


async def record_room(session: AsyncSession, listed: PoliceRoomListed) -> None:
    at = listed.occurred_at.astimezone(UTC)
    row = await session.get(DirectoryRoom, listed.police_room_code)
    if row is not None and _utc(row.listed_at) > at:
        return
    if row is None:
        row = DirectoryRoom(code=listed.police_room_code)
        session.add(row)
    row.name = listed.name
    row.station_code = listed.station_code
    row.village_code = listed.village_code
    row.officer_ids = list(listed.officer_ids)
    row.active = listed.active
    row.listed_at = at


async def record_officer(session: AsyncSession, listed: OfficerPosted) -> None:
    at = listed.occurred_at.astimezone(UTC)
    row = await session.get(DirectoryOfficer, listed.officer_id)
    if row is not None and _utc(row.listed_at) > at:
        return
    if row is None:
        row = DirectoryOfficer(user_id=listed.officer_id)
        session.add(row)
    row.name = listed.name
    row.station_code = listed.station_code
    row.police_room_codes = list(listed.police_room_codes)
    row.active = listed.active
    row.listed_at = at


async def village(session: AsyncSession, village_code: str | None) -> DirectoryVillage | None:
    return await session.get(DirectoryVillage, village_code) if village_code else None


async def assignment_for(session: AsyncSession, village_code: str | None) -> Assignment:
    """The community officer of the village's police room, and the station chief above; no
    officer (the station chief's then) once the village, its police room or the officer is
    listed inactive, whichever listing arrives first."""
    row = await village(session, village_code)
    if row is None:
        return Assignment(None, None, None)
    officer = row.officer_id if row.active else None
    if officer is not None:
        room = await session.get(DirectoryRoom, row.police_room_code)
        posted = await session.get(DirectoryOfficer, officer)
        if (room is not None and not room.active) or (posted is not None and not posted.active):
            officer = None
    return Assignment(officer, row.station_code, row.chief_id)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
