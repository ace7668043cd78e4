"""Reads of the organisation directory for its administrators: stations, police rooms with
their officers, households of a village, officers' postings, the change log."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes import directory
from services.disputes.models import (
    DirectoryChange,
    Household,
    Officer,
    PoliceRoom,
    RoomOfficer,
    Station,
    Village,
)
from shared.contracts import directory as contract


async def stations(session: AsyncSession) -> list[contract.OrgStationRead]:
    rows = (await session.execute(select(Station).order_by(Station.code))).scalars()
    return [contract.OrgStationRead.model_validate(r) for r in rows]


async def rooms(session: AsyncSession, station: str | None) -> list[contract.OrgPoliceRoomRead]:
    stmt = select(PoliceRoom).order_by(PoliceRoom.code)
    if station:
        stmt = stmt.where(PoliceRoom.station_code == station)
    found = list((await session.execute(stmt)).scalars())
    officers = await directory.room_officers(session, [r.code for r in found])
    return [
        contract.OrgPoliceRoomRead(
            code=r.code,
            name=r.name,
            station_code=r.station_code,
            village_code=r.village_code,
            officer_ids=officers.get(r.code, []),
            active=r.active,
        )
        for r in found
    ]


async def villages(
    session: AsyncSession, *, station: str | None, code: str | None
) -> list[contract.OrgVillageRead]:
    stmt = select(Village).order_by(Village.code)
    if station:
        stmt = stmt.where(Village.station_code == station)
    if code:
        stmt = stmt.where(Village.code == code)
    return [
        contract.OrgVillageRead.model_validate(v) for v in (await session.execute(stmt)).scalars()
    ]


async def households(session: AsyncSession, village: str) -> list[contract.OrgHouseholdRead]:
    rows = (
        await session.execute(
            select(Household)
            .where(Household.village_code == village)
            .order_by(Household.household_id)
        )
    ).scalars()
    return [contract.OrgHouseholdRead.model_validate(r) for r in rows]


async def postings(session: AsyncSession, station: str | None) -> list[contract.OrgPostingRead]:
    stmt = select(Officer).order_by(Officer.user_id)
    if station:
        stmt = stmt.where(Officer.station_code == station)
    found = list((await session.execute(stmt)).scalars())
    rooms_of: dict[str, list[str]] = defaultdict(list)
    for room, oid in await session.execute(
        select(RoomOfficer.room_code, RoomOfficer.officer_id)
        .where(RoomOfficer.officer_id.in_([o.user_id for o in found]))
        .order_by(RoomOfficer.room_code)
    ):
        rooms_of[oid].append(room)
    return [
        contract.OrgPostingRead(
            officer_id=o.user_id,
            name=o.name,
            station_code=o.station_code,
            police_room_codes=rooms_of.get(o.user_id, []),
            active=o.active,
        )
        for o in found
    ]


async def changes(session: AsyncSession, *, limit: int = 50) -> list[contract.OrgChangeRead]:
    rows = (
        await session.execute(
            select(DirectoryChange).order_by(DirectoryChange.id.desc()).limit(limit)
        )
    ).scalars()
    return [contract.OrgChangeRead.model_validate(r) for r in rows]
