"""The organisation directory, owned here, told to the other services: one `VillageListed`
per village (its police room, the room's first community officer, the station chief), queued
in the outbox beside the directory's own rows."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import RoomOfficer, Station, Village, outbox
from shared.messaging.contracts.directory import VillageListed
from shared.messaging.outbox import add_event


async def village_listings(session: AsyncSession) -> list[VillageListed]:
    first_officer = select(RoomOfficer.room_code, RoomOfficer.officer_id).where(
        RoomOfficer.position == 0
    )
    officers = {room: oid for room, oid in (await session.execute(first_officer)).all()}
    stations = await session.execute(select(Station.code, Station.chief_id))
    chiefs = {code: chief for code, chief in stations.all()}
    out = []
    for v in (await session.execute(select(Village).order_by(Village.code))).scalars():
        facts: dict[str, str | None] = {
            "village_code": v.code,
            "village_name": v.name,
            "station_code": v.station_code,
            "police_room_code": v.police_room_code,
            "officer_id": officers.get(v.police_room_code),
            "chief_id": chiefs.get(v.station_code),
        }
        # the same facts give the same id: listing again changes nothing downstream
        digest = hashlib.blake2b(json.dumps(facts, sort_keys=True).encode(), digest_size=12)
        listed = VillageListed.model_validate({"event_id": f"dir-{digest.hexdigest()}", **facts})
        out.append(listed)
    return out


async def publish_directory(session: AsyncSession) -> int:
    """Queue a listing of every village (in the caller's transaction); returns how many were
    new (a village whose facts did not change since its last listing is not sent again)."""
    queued = 0
    for listed in await village_listings(session):
        queued += await add_event(session, outbox, listed)
    return queued
