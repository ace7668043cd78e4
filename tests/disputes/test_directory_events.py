"""The directory travels by events over the real broker, both ways: the portal's accounts
(`user.upserted`) reach the disputes service's officers, and the disputes service's police
rooms, villages and officers' postings reach the appointment desk's replica. Consumers are
idempotent: a redelivered account changes the directory once; an older listing arriving late
changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from services.appointments.directory import record_officer
from services.appointments.models import DirectoryOfficer, DirectoryRoom, DirectoryVillage
from services.disputes.directory import publish_directory
from services.disputes.models import DirectoryChange, Officer, Village
from services.disputes.postings import record_account
from services.disputes.seed import directory_rows
from shared.db import transaction
from shared.messaging.broker import Broker
from shared.messaging.contracts.directory import OfficerPosted
from shared.messaging.contracts.users import UserUpserted
from shared.runtime import ServiceRuntime
from tests.appointments.conftest import JIANGHE, STATION
from tests.conftest import AMQP_URL
from tests.directory_apps import H, desk_replica, directory_owner
from tests.helpers import eventually

ROOM = "RNEW09"


async def seed_one_station(factory: async_sessionmaker[AsyncSession]) -> None:
    """The demo directory of one station only (a few events, not the county's)."""
    rooms: set[str] = set()
    async with transaction(factory) as s:
        for table, rows in directory_rows():
            if table.name == "room_officers":
                mine = [r for r in rows if r["room_code"] in rooms]
            else:
                mine = [r for r in rows if STATION in (r.get("code"), r.get("station_code"))]
            if table.name == "police_rooms":
                rooms = {str(r["code"]) for r in mine}
            await s.execute(table.insert(), mine)
        await publish_directory(s, full=True)


async def test_rooms_and_postings_reach_the_desk_and_accounts_reach_the_directory(
    tmp_path: Path, exchange: str, temporal_env: WorkflowEnvironment
) -> None:
    disputes = directory_owner(tmp_path, exchange, temporal_env.client)
    appointments = desk_replica(tmp_path, exchange)
    owner: ServiceRuntime = disputes.state.runtime
    replica: ServiceRuntime = appointments.state.runtime
    portal_bus = Broker(AMQP_URL, exchange)
    async with (
        disputes.router.lifespan_context(disputes),
        appointments.router.lifespan_context(appointments),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=disputes), base_url="http://disputes", headers=H
        ) as directory,
    ):
        await seed_one_station(owner.factory)
        owner.wake_relay()
        r = await directory.put(
            f"/internal/v1/admin/directory/police-rooms/{ROOM}",
            json={
                "name": "新村警务室",
                "station_code": STATION,
                "village_code": JIANGHE,
                "actor_id": "admin-1",
                "reason": "新设警务室",
            },
        )
        assert r.status_code == 200, r.text

        async def room_replicated() -> DirectoryRoom | None:
            async with replica.factory() as s:
                return await s.get(DirectoryRoom, ROOM)

        assert (
            await eventually(room_replicated, 30, "the room never reached the desk")
        ).officer_ids == []

        # the portal creates the officer's account; the broker brings it twice
        await portal_bus.connect()
        account = UserUpserted(
            user_id="off-new9",
            role="officer",
            display_name="马新警",
            phone="13911119999",
            station_code=STATION,
            police_room_code=ROOM,
        )
        await portal_bus.publish_event(account)
        await portal_bus.publish_event(account)

        async def posted() -> tuple[str | None, list[str], tuple[str, list[str]]] | None:
            async with replica.factory() as s:
                v = await s.get(DirectoryVillage, JIANGHE)
                room = await s.get(DirectoryRoom, ROOM)
                o = await s.get(DirectoryOfficer, "off-new9")
            if v is None or room is None or o is None or v.officer_id is None:
                return None
            return v.police_room_code, room.officer_ids, (o.station_code, o.police_room_codes)

        assert await eventually(posted, 30, "the posting never reached the desk") == (
            ROOM,
            ["off-new9"],
            (STATION, [ROOM]),
        )
        async with owner.factory() as s:
            logged = await s.scalar(
                select(func.count())
                .select_from(DirectoryChange)
                .where(DirectoryChange.kind == "officer", DirectoryChange.code == "off-new9")
            )
        assert logged == 1, "the redelivered account changed the directory once"

        # deactivated: out of the room's officers and the village's, on the desk too
        await portal_bus.publish_event(
            account.model_copy(update={"event_id": "acc-2", "active": False})
        )

        async def left() -> str | None:
            async with replica.factory() as s:
                o = await s.get(DirectoryOfficer, "off-new9")
                room = await s.get(DirectoryRoom, ROOM)
                v = await s.get(DirectoryVillage, JIANGHE)
            gone = o is not None and not o.active and room is not None and not room.officer_ids
            return "left" if gone and v is not None and v.officer_id is None else None

        await eventually(left, 30, "the deactivation never reached the desk")
        async with replica.factory() as s:
            # an older listing, arriving late, changes nothing
            stale = OfficerPosted(
                officer_id="off-new9",
                name="马新警",
                station_code=STATION,
                police_room_codes=[ROOM],
                active=True,
                occurred_at=datetime.now(UTC) - timedelta(hours=1),
            )
        async with transaction(replica.factory) as s:
            await record_officer(s, stale)
        async with replica.factory() as s:
            officer = await s.get(DirectoryOfficer, "off-new9")
            assert officer is not None and officer.active is False
        # and an older account event, delivered after the deactivation, leaves it deactivated
        late = account.model_copy(
            update={"event_id": "acc-0", "occurred_at": account.occurred_at - timedelta(hours=1)}
        )
        async with transaction(owner.factory) as s:
            assert await record_account(s, late, now=datetime.now(UTC)) is False
        async with owner.factory() as s:
            assert (await s.get(Village, JIANGHE)).police_room_code == ROOM  # type: ignore[union-attr]
            assert (await s.get(Officer, "off-new9")).active is False  # type: ignore[union-attr]
    await portal_bus.close()
