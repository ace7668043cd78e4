"""Changing the organisation directory (no FastAPI here): stations, police rooms, villages and
households written by the administrators' pages (officers' postings: postings.py). Every
change is logged (who, when, before and after, why) and told to the other services through
the outbox (directory.py). A new police room serves its village from the next case on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes import directory
from services.disputes.models import (
    DirectoryChange,
    Household,
    PoliceRoom,
    RoomOfficer,
    Station,
    Village,
)
from shared.contracts import directory as contract
from shared.errors import Invalid


async def log_change(
    session: AsyncSession,
    *,
    kind: str,
    code: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    actor_id: str,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        DirectoryChange(
            at=now,
            actor_id=actor_id,
            kind=kind,
            code=code,
            before=before,
            after=after,
            reason=reason,
        )
    )
    await session.flush()


def facts(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


STATION = ("name", "township", "county_code", "chief_id")
ROOM = ("name", "station_code", "village_code")
VILLAGE = ("name", "township", "station_code", "police_room_code")
HOUSEHOLD = ("name", "village_code", "members")


async def _station(session: AsyncSession, code: str, field: str) -> Station:
    row = await session.get(Station, code)
    if row is None:
        raise Invalid("no such station in the directory", field)
    return row


async def put_station(
    session: AsyncSession, code: str, body: contract.OrgStationWrite, *, now: datetime
) -> contract.OrgStationRead:
    row = await session.get(Station, code)
    before = facts(row, STATION) if row else None
    after = body.model_dump(include=set(STATION))
    if row is None:
        row = Station(code=code, **after)
        session.add(row)
    else:
        for k, v in after.items():
            setattr(row, k, v)
    if before != after:
        await log_change(
            session,
            kind="station",
            code=code,
            before=before,
            after=after,
            actor_id=body.actor_id,
            reason=body.reason,
            now=now,
        )
        villages = (
            await session.execute(select(Village.code).where(Village.station_code == code))
        ).scalars()
        await directory.publish(
            session,
            await directory.listings(
                session, stations=[code], rooms=[], villages=list(villages), officers=[]
            ),
        )
    return contract.OrgStationRead.model_validate(row)


async def put_room(
    session: AsyncSession, code: str, body: contract.OrgPoliceRoomWrite, *, now: datetime
) -> contract.OrgPoliceRoomRead:
    """Open a police room (or change one): the village it sits in is served by it from now on."""
    await _station(session, body.station_code, "station_code")
    village = await session.get(Village, body.village_code)
    if village is None:
        raise Invalid("no such village in the directory", "village_code")
    if village.station_code != body.station_code:
        raise Invalid("the village belongs to another station", "village_code")
    row = await session.get(PoliceRoom, code)
    before = facts(row, ROOM) if row else None
    after = body.model_dump(include=set(ROOM))
    if row is not None and row.station_code != body.station_code:
        posted = await session.scalar(
            select(func.count()).select_from(RoomOfficer).where(RoomOfficer.room_code == code)
        )
        if posted:
            raise Invalid("the room still has officers posted: move them first", "station_code")
    villages = {body.village_code}
    if row is None:
        row = PoliceRoom(code=code, **after)
        session.add(row)
    else:
        villages.add(row.village_code)
        for k, v in after.items():
            setattr(row, k, v)
    if before != after:
        await session.flush()
        if village.police_room_code != code:
            old = village.police_room_code
            village.police_room_code = code
            await log_change(
                session,
                kind="village",
                code=village.code,
                before={"police_room_code": old},
                after={"police_room_code": code},
                actor_id=body.actor_id,
                reason=body.reason,
                now=now,
            )
        await log_change(
            session,
            kind="police_room",
            code=code,
            before=before,
            after=after,
            actor_id=body.actor_id,
            reason=body.reason,
            now=now,
        )
        await directory.publish(
            session,
            await directory.listings(
                session, stations=[], rooms=[code], villages=villages, officers=[]
            ),
        )
    return await room_read(session, row)


async def room_read(session: AsyncSession, row: PoliceRoom) -> contract.OrgPoliceRoomRead:
    officers = await directory.room_officers(session, [row.code])
    return contract.OrgPoliceRoomRead(
        code=row.code,
        name=row.name,
        station_code=row.station_code,
        village_code=row.village_code,
        officer_ids=officers.get(row.code, []),
        active=row.active,
    )


async def put_village(
    session: AsyncSession, code: str, body: contract.OrgVillageWrite, *, now: datetime
) -> contract.OrgVillageRead:
    station = await _station(session, body.station_code, "station_code")
    room = await session.get(PoliceRoom, body.police_room_code)
    if room is None or room.station_code != body.station_code:
        raise Invalid("choose a police room of this station", "police_room_code")
    row = await session.get(Village, code)
    before = facts(row, VILLAGE) if row else None
    after = body.model_dump(include=set(VILLAGE))
    if row is None:
        row = Village(code=code, county_code=station.county_code, **after)
        session.add(row)
    else:
        for k, v in after.items():
            setattr(row, k, v)
    if before != after:
        await log_change(
            session,
            kind="village",
            code=code,
            before=before,
            after=after,
            actor_id=body.actor_id,
            reason=body.reason,
            now=now,
        )
        await directory.publish(
            session,
            await directory.listings(session, stations=[], rooms=[], villages=[code], officers=[]),
        )
    return contract.OrgVillageRead.model_validate(row)


async def put_household(
    session: AsyncSession, household_id: str, body: contract.OrgHouseholdWrite, *, now: datetime
) -> contract.OrgHouseholdRead:
    if await session.get(Village, body.village_code) is None:
        raise Invalid("no such village in the directory", "village_code")
    row = await session.get(Household, household_id)
    before = facts(row, HOUSEHOLD) if row else None
    after = body.model_dump(include=set(HOUSEHOLD))
    if row is None:
        row = Household(household_id=household_id, **after)
        session.add(row)
    else:
        for k, v in after.items():
            setattr(row, k, v)
    if before != after:
        await log_change(
            session,
            kind="household",
            code=household_id,
            before=before,
            after=after,
            actor_id=body.actor_id,
            reason=body.reason,
            now=now,
        )
    return contract.OrgHouseholdRead.model_validate(row)
