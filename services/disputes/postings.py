"""Officers' postings (no FastAPI here): learned from the portal's `user.upserted` events
(an account created, moved to another station or room, deactivated) and set by the
administrators' posting page (exactly these rooms of the officer's station). Logged in the
directory's change log and listed to the other services like every directory change.

A posting takes effect at once: the next assignment reads the rooms and officers as they are
now; running cases keep their officer until someone reassigns them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes import directory
from services.disputes.directory_admin import log_change
from services.disputes.models import Officer, PoliceRoom, RoomOfficer, Station, Village
from shared.contracts import directory as contract
from shared.errors import Invalid, NotFound
from shared.messaging.contracts.users import UserUpserted

log = logging.getLogger("fengqiao.disputes.postings")
OFFICER_ROLES = ("officer",)  # who takes cases (a station chief supervises, a clerk does not)
ACCOUNTS = "accounts"  # the change log's actor for postings learned from the portal


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


async def record_account(session: AsyncSession, event: UserUpserted, *, now: datetime) -> bool:
    """An officer's account as the portal has it: create the officer, post them to the police
    room their account names (leaving their other rooms of the same station), move them with
    their station, take them out of the assignment pool when the account is deactivated or
    leaves the role. Returns whether the directory changed. An account naming a station the
    directory does not know changes nothing (and is logged)."""
    row = await session.get(Officer, event.user_id, with_for_update=True)
    if (
        row is not None
        and row.account_at is not None
        and event.occurred_at < _aware(row.account_at)
    ):
        return False  # an older account event delivered after a newer one
    takes_cases = event.role in OFFICER_ROLES and event.active
    if row is None and not takes_cases:
        return False
    station = event.station_code
    if takes_cases and (station is None or await session.get(Station, station) is None):
        log.warning("officer %s names station %r, unknown to the directory", event.user_id, station)
        return False
    rooms = await directory.officer_rooms(session, event.user_id)
    before = (
        {
            "name": row.name,
            "station_code": row.station_code,
            "active": row.active,
            "police_room_codes": rooms,
        }
        if row
        else None
    )
    if row is None:
        assert station is not None
        row = Officer(
            user_id=event.user_id,
            name=event.display_name,
            phone=event.phone or "",
            station_code=station,
            active=True,
        )
        session.add(row)
        await session.flush()
    row.account_at = event.occurred_at
    row.name = event.display_name
    row.phone = event.phone or row.phone
    row.active = takes_cases
    if takes_cases and station is not None:
        wanted = event.police_room_code
        room = await session.get(PoliceRoom, wanted) if wanted else None
        if room is not None and room.station_code != station:
            room = None
        if station != row.station_code:
            row.station_code = station
            await session.execute(delete(RoomOfficer).where(RoomOfficer.officer_id == row.user_id))
            rooms = []
        if room is not None and room.code not in rooms:
            await _post(session, row.user_id, room.code)
    now_rooms = await directory.officer_rooms(session, row.user_id)
    return await _changed(
        session,
        row,
        before,
        now_rooms,
        actor_id=ACCOUNTS,
        because="account " + event.event_id,
        now=now,
    )


async def _changed(
    session: AsyncSession,
    row: Officer,
    before: dict[str, Any] | None,
    now_rooms: list[str],
    *,
    actor_id: str,
    because: str,
    now: datetime,
) -> bool:
    """Log and list an officer whose posting may have changed; False if nothing did."""
    after = {
        "name": row.name,
        "station_code": row.station_code,
        "active": row.active,
        "police_room_codes": now_rooms,
    }
    if before == after:
        return False
    await log_change(
        session,
        kind="officer",
        code=row.user_id,
        before=before,
        after=after,
        actor_id=actor_id,
        reason=because,
        now=now,
    )
    touched = set(now_rooms) | set(before["police_room_codes"] if before else [])
    villages = (
        await session.execute(select(PoliceRoom.village_code).where(PoliceRoom.code.in_(touched)))
    ).scalars()
    served = (
        await session.execute(select(Village.code).where(Village.police_room_code.in_(touched)))
    ).scalars()
    await directory.publish(
        session,
        await directory.listings(
            session,
            stations=[],
            rooms=touched,
            villages={*villages, *served},
            officers=[row.user_id],
        ),
    )
    return True


async def put_posting(
    session: AsyncSession, officer_id: str, body: contract.OrgPostingWrite, *, now: datetime
) -> contract.OrgPostingRead:
    """Post an officer to exactly these police rooms of their station (a move: the rooms left
    out are left). Their station changes with their account (the staff pages)."""
    row = await session.get(Officer, officer_id)
    if row is None:
        raise NotFound(f"officer {officer_id} not found")
    wanted = list(dict.fromkeys(body.police_room_codes))
    found = {
        code: station
        for code, station in await session.execute(
            select(PoliceRoom.code, PoliceRoom.station_code).where(PoliceRoom.code.in_(wanted))
        )
    }
    for i, code in enumerate(wanted):
        if found.get(code) != row.station_code:
            raise Invalid("choose police rooms of the officer's station", f"police_room_codes.{i}")
    rooms = await directory.officer_rooms(session, officer_id)
    before = {
        "name": row.name,
        "station_code": row.station_code,
        "active": row.active,
        "police_room_codes": rooms,
    }
    gone = [r for r in rooms if r not in wanted]
    if gone:
        await session.execute(
            delete(RoomOfficer).where(
                RoomOfficer.officer_id == officer_id, RoomOfficer.room_code.in_(gone)
            )
        )
    for code in wanted:
        if code not in rooms:
            await _post(session, officer_id, code)
    await _changed(
        session,
        row,
        before,
        await directory.officer_rooms(session, officer_id),
        actor_id=body.actor_id,
        because=body.reason,
        now=now,
    )
    return contract.OrgPostingRead(
        officer_id=row.user_id,
        name=row.name,
        station_code=row.station_code,
        police_room_codes=await directory.officer_rooms(session, officer_id),
        active=row.active,
    )


async def _post(session: AsyncSession, officer_id: str, room: str) -> None:
    """Post the officer to the room, after the room's officers already there."""
    last = await session.scalar(
        select(func.max(RoomOfficer.position)).where(RoomOfficer.room_code == room)
    )
    session.add(
        RoomOfficer(room_code=room, officer_id=officer_id, position=0 if last is None else last + 1)
    )
    await session.flush()
