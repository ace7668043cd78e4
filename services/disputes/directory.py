"""The organisation directory, owned here, told to the other services: a `StationListed`,
`PoliceRoomListed`, `VillageListed` or `OfficerPosted` per record, queued in the outbox beside
the directory's own rows (directory_admin.py changes them, seed.py fills them).

An event's id is a digest of its facts and of the directory's change count: listing again with
nothing changed queues nothing, and a record changed back to what it was once is still sent."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import (
    DirectoryChange,
    Officer,
    PoliceRoom,
    RoomOfficer,
    Station,
    Village,
    outbox,
)
from shared.messaging.contracts.directory import (
    OfficerPosted,
    PoliceRoomListed,
    StationListed,
    VillageListed,
)
from shared.messaging.events import Event
from shared.messaging.outbox import add_event


def _listed(cls: type[Event], epoch: int, facts: dict[str, Any]) -> Event:
    blob = json.dumps({"kind": cls.routing_key, "epoch": epoch, **facts}, sort_keys=True)
    digest = hashlib.blake2b(blob.encode(), digest_size=12)
    return cls.model_validate({"event_id": f"dir-{digest.hexdigest()}", **facts})


async def _epoch(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(DirectoryChange.id))) or 0)


async def room_officers(
    session: AsyncSession, rooms: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """The active officers of each police room, in assignment order."""
    stmt = (
        select(RoomOfficer.room_code, RoomOfficer.officer_id)
        .join(Officer, Officer.user_id == RoomOfficer.officer_id)
        .where(Officer.active)
        .order_by(RoomOfficer.room_code, RoomOfficer.position, RoomOfficer.officer_id)
    )
    if rooms is not None:
        stmt = stmt.where(RoomOfficer.room_code.in_(list(rooms)))
    out: dict[str, list[str]] = defaultdict(list)
    for room, officer in await session.execute(stmt):
        out[room].append(officer)
    return out


async def officer_rooms(session: AsyncSession, officer_id: str) -> list[str]:
    rows = await session.execute(
        select(RoomOfficer.room_code)
        .where(RoomOfficer.officer_id == officer_id)
        .order_by(RoomOfficer.room_code)
    )
    return [r[0] for r in rows]


async def village_listings(
    session: AsyncSession, codes: Iterable[str] | None = None, *, epoch: int | None = None
) -> list[Event]:
    epoch = await _epoch(session) if epoch is None else epoch
    stmt = select(Village).order_by(Village.code)
    if codes is not None:
        stmt = stmt.where(Village.code.in_(list(codes)))
    villages = list((await session.execute(stmt)).scalars())
    officers = await room_officers(session, {v.police_room_code for v in villages})
    stations = await session.execute(select(Station.code, Station.chief_id))
    chiefs = {code: chief for code, chief in stations.all()}
    return [
        _listed(
            VillageListed,
            epoch,
            {
                "village_code": v.code,
                "village_name": v.name,
                "station_code": v.station_code,
                "police_room_code": v.police_room_code,
                "officer_id": next(iter(officers.get(v.police_room_code, [])), None),
                "chief_id": chiefs.get(v.station_code),
                "active": v.active,
            },
        )
        for v in villages
    ]


async def listings(
    session: AsyncSession,
    *,
    stations: Iterable[str] | None = None,
    rooms: Iterable[str] | None = None,
    villages: Iterable[str] | None = None,
    officers: Iterable[str] | None = None,
) -> list[Event]:
    """The listings of the records named (None: every record of that kind)."""
    epoch = await _epoch(session)
    out: list[Event] = []
    st = select(Station).order_by(Station.code)
    if stations is not None:
        st = st.where(Station.code.in_(list(stations)))
    for s in (await session.execute(st)).scalars():
        facts: dict[str, Any] = {
            "station_code": s.code,
            "name": s.name,
            "township": s.township,
            "county_code": s.county_code,
            "chief_id": s.chief_id,
        }
        out.append(_listed(StationListed, epoch, facts))
    rm = select(PoliceRoom).order_by(PoliceRoom.code)
    if rooms is not None:
        rm = rm.where(PoliceRoom.code.in_(list(rooms)))
    room_rows = list((await session.execute(rm)).scalars())
    posted = await room_officers(session, None if rooms is None else [r.code for r in room_rows])
    for r in room_rows:
        facts = {
            "police_room_code": r.code,
            "name": r.name,
            "station_code": r.station_code,
            "village_code": r.village_code,
            "officer_ids": posted.get(r.code, []),
            "active": r.active,
        }
        out.append(_listed(PoliceRoomListed, epoch, facts))
    out += await village_listings(session, villages, epoch=epoch)
    of = select(Officer).order_by(Officer.user_id)
    if officers is not None:
        of = of.where(Officer.user_id.in_(list(officers)))
    by_officer: dict[str, list[str]] = defaultdict(list)
    for room, oid in await session.execute(
        select(RoomOfficer.room_code, RoomOfficer.officer_id).order_by(RoomOfficer.room_code)
    ):
        by_officer[oid].append(room)
    for o in (await session.execute(of)).scalars():
        facts = {
            "officer_id": o.user_id,
            "name": o.name,
            "station_code": o.station_code,
            "police_room_codes": by_officer.get(o.user_id, []),
            "active": o.active,
        }
        out.append(_listed(OfficerPosted, epoch, facts))
    return out


async def publish(session: AsyncSession, events: Iterable[Event]) -> int:
    queued = 0
    for event in events:
        queued += await add_event(session, outbox, event)
    return queued


async def publish_directory(session: AsyncSession, *, full: bool = False) -> int:
    """Queue a listing of every village (`full`: of every station, police room and officer
    too) in the caller's transaction; returns how many were new (a record whose facts did not
    change since its last listing is not sent again). Changes made afterwards list what they
    touch (directory_admin.py, postings.py)."""
    return await publish(session, await (listings(session) if full else village_listings(session)))
