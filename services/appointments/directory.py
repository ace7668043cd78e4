"""Who serves a village, from the desk's replica of the disputes service's directory (kept
by its `directory.*` events: villages, police rooms, officers' postings; see consumer.py).
Each record keeps its newest listing through shared/replica.py: one arriving late, or
redelivered, changes nothing. No demo data is read here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.models import DirectoryOfficer, DirectoryRoom, DirectoryVillage
from shared.messaging.contracts.directory import OfficerPosted, PoliceRoomListed, VillageListed
from shared.replica import keep_newest
from workflows.home_visits.types import Assignment


async def record_village(session: AsyncSession, listed: VillageListed) -> None:
    await keep_newest(
        session,
        DirectoryVillage,
        {"code": listed.village_code},
        listed.occurred_at,
        {
            "name": listed.village_name,
            "station_code": listed.station_code,
            "police_room_code": listed.police_room_code,
            "officer_id": listed.officer_id,
            "chief_id": listed.chief_id,
            "active": listed.active,
        },
    )


async def record_room(session: AsyncSession, listed: PoliceRoomListed) -> None:
    await keep_newest(
        session,
        DirectoryRoom,
        {"code": listed.police_room_code},
        listed.occurred_at,
        {
            "name": listed.name,
            "station_code": listed.station_code,
            "village_code": listed.village_code,
            "officer_ids": list(listed.officer_ids),
            "active": listed.active,
        },
    )


async def record_officer(session: AsyncSession, listed: OfficerPosted) -> None:
    await keep_newest(
        session,
        DirectoryOfficer,
        {"user_id": listed.officer_id},
        listed.occurred_at,
        {
            "name": listed.name,
            "station_code": listed.station_code,
            "police_room_codes": list(listed.police_room_codes),
            "active": listed.active,
        },
    )


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
