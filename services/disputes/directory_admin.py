"""Changing the organisation directory (no FastAPI here): stations, police rooms, villages and
households written by the administrators' pages (officers' postings: postings.py). Every
change is logged (who, when, before and after, why) and told to the other services through
the outbox (directory.py). A new police room serves its village from the next case on."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

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

Row = TypeVar("Row")


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


async def upsert_logged(
    session: AsyncSession,
    model: type[Row],
    key: dict[str, str],
    after: dict[str, Any],
    *,
    kind: str,
    actor_id: str,
    reason: str,
    now: datetime,
    created: dict[str, Any] | None = None,
) -> tuple[Row, bool]:
    """Create the row named by `key` with the facts `after` (and `created`, set only on a new
    row), or change it to them; log the change when the facts differ. The row and whether they
    did."""
    row = await session.get(model, tuple(key.values()))
    before = facts(row, tuple(after)) if row is not None else None
    if row is None:
        row = model(**key, **(created or {}), **after)
        session.add(row)
    else:
        for k, v in after.items():
            setattr(row, k, v)
    changed = before != after
    if changed:
        await log_change(
            session,
            kind=kind,
            code=next(iter(key.values())),
            before=before,
            after=after,
            actor_id=actor_id,
            reason=reason,
            now=now,
        )
    return row, changed


async def put_station(
    session: AsyncSession, code: str, body: contract.OrgStationWrite, *, now: datetime
) -> contract.OrgStationRead:
    row, changed = await upsert_logged(
        session,
        Station,
        {"code": code},
        body.model_dump(include=set(STATION)),
        kind="station",
        actor_id=body.actor_id,
        reason=body.reason,
        now=now,
    )
    if changed:
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
    held = await session.get(PoliceRoom, code)
    if held is not None and held.station_code != body.station_code:
        posted = await session.scalar(
            select(func.count()).select_from(RoomOfficer).where(RoomOfficer.room_code == code)
        )
        if posted:
            raise Invalid("the room still has officers posted: move them first", "station_code")
    villages = {body.village_code} | ({held.village_code} if held is not None else set())
    row, changed = await upsert_logged(
        session,
        PoliceRoom,
        {"code": code},
        body.model_dump(include=set(ROOM)),
        kind="police_room",
        actor_id=body.actor_id,
        reason=body.reason,
        now=now,
    )
    if changed:
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
    row, changed = await upsert_logged(
        session,
        Village,
        {"code": code},
        body.model_dump(include=set(VILLAGE)),
        kind="village",
        actor_id=body.actor_id,
        reason=body.reason,
        now=now,
        created={"county_code": station.county_code},
    )
    if changed:
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
    row, _ = await upsert_logged(
        session,
        Household,
        {"household_id": household_id},
        body.model_dump(include=set(HOUSEHOLD)),
        kind="household",
        actor_id=body.actor_id,
        reason=body.reason,
        now=now,
    )
    return contract.OrgHouseholdRead.model_validate(row)
