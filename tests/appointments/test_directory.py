"""The directory has one owner, the disputes service; the appointment desk keeps a replica from
its `directory.*` events over the real broker and assigns from it (no demo data at run time):
an officer, police room or village listed inactive is assigned no more, and a closed village
takes no door-to-door request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select, update
from temporalio.testing import WorkflowEnvironment

from services.appointments.models import DirectoryVillage
from services.disputes import directory
from services.disputes.directory import publish_directory
from services.disputes.directory_closing import close_village
from services.disputes.models import PoliceRoom, RoomOfficer, Village, outbox
from services.disputes.seed import seed_directory
from shared.contracts.directory import OrgCloseWrite
from shared.db import transaction
from shared.messaging.contracts.directory import OfficerPosted, PoliceRoomListed
from shared.runtime import ServiceRuntime
from tests.appointments.conftest import JIANGHE, STATION
from tests.directory_apps import H, desk_replica, directory_owner
from tests.helpers import eventually


async def test_the_desk_assigns_from_the_directory_the_disputes_service_publishes(
    tmp_path: Path, exchange: str, temporal_env: WorkflowEnvironment
) -> None:
    disputes = directory_owner(tmp_path, exchange, temporal_env.client)
    appointments = desk_replica(tmp_path, exchange)
    owner: ServiceRuntime = disputes.state.runtime
    replica: ServiceRuntime = appointments.state.runtime
    transport = httpx.ASGITransport(app=appointments)
    async with (
        disputes.router.lifespan_context(disputes),
        appointments.router.lifespan_context(appointments),
        httpx.AsyncClient(transport=transport, base_url="http://appointments") as desk,
    ):
        await seed_directory(owner.factory)
        owner.wake_relay()
        async with owner.factory() as s:
            villages = int(await s.scalar(select(func.count()).select_from(Village)) or 0)

        async def replicated() -> int | None:
            async with replica.factory() as s:
                n = int(await s.scalar(select(func.count()).select_from(DirectoryVillage)) or 0)
            return n if n == villages else None

        assert await eventually(replicated, 60, "the directory never reached the desk") > 0
        first = await desk.get(f"/internal/v1/directory/villages/{JIANGHE}/assignment", headers=H)
        assert first.json() == {
            "officer_id": "off-0001",
            "station_code": STATION,
            "chief_id": f"chief-{STATION}",
        }

        # listing again without a change sends nothing; a new officer for the room does
        async with transaction(owner.factory) as s:
            assert await publish_directory(s) == 0
            room = await s.scalar(select(Village.police_room_code).where(Village.code == JIANGHE))
            await s.execute(
                update(RoomOfficer)
                .where(RoomOfficer.room_code == room, RoomOfficer.position == 0)
                .values(officer_id="off-0002")
            )
        async with transaction(owner.factory) as s:
            changed = await publish_directory(s)
        owner.wake_relay()
        assert changed >= 1

        async def reassigned() -> str | None:
            r = await desk.get(f"/internal/v1/directory/villages/{JIANGHE}/assignment", headers=H)
            officer: str | None = r.json()["officer_id"]
            return officer if officer == "off-0002" else None

        assert await eventually(reassigned, 60, "the change never reached the desk") == "off-0002"

        async def assigned(officer: str | None) -> bool | None:
            r = await desk.get(f"/internal/v1/directory/villages/{JIANGHE}/assignment", headers=H)
            return True if r.json() == {**first.json(), "officer_id": officer} else None

        async def listed(*events: object) -> None:
            async with transaction(owner.factory) as s:
                await directory.publish(s, events)  # type: ignore[arg-type]
            owner.wake_relay()

        # an officer listed inactive, or their police room closed, before the village's own
        # listing follows: the desk assigns the village to nobody (its station chief's)
        async with owner.factory() as s:
            held = await s.get(PoliceRoom, room)
            assert held is not None

        def officer(active: bool) -> OfficerPosted:  # a new listing, stamped now
            return OfficerPosted(
                officer_id="off-0002",
                name="民警",
                station_code=STATION,
                police_room_codes=[room],
                active=active,
            )

        def room_listing(active: bool) -> PoliceRoomListed:
            return PoliceRoomListed(
                police_room_code=room,
                name=held.name,
                station_code=STATION,
                village_code=held.village_code,
                officer_ids=["off-0002"],
                active=active,
            )

        await listed(officer(False))
        assert await eventually(lambda: assigned(None), 60, "the inactive officer stays assigned")
        await listed(officer(True))
        assert await eventually(lambda: assigned("off-0002"), 60, "the officer never came back")
        await listed(room_listing(False))
        assert await eventually(lambda: assigned(None), 60, "the closed room stays assigned")

        # a village closed by the directory: no door-to-door request, no officer
        async with transaction(owner.factory) as s:
            await close_village(
                s, JIANGHE, OrgCloseWrite(reason="撤村", actor_id="admin"), now=datetime.now(UTC)
            )
        await listed(room_listing(True))

        async def replica_closed() -> bool | None:
            async with replica.factory() as s:
                row = await s.get(DirectoryVillage, JIANGHE)
            return True if row is not None and not row.active else None

        await eventually(replica_closed, 60, "the closed village never reached the desk")
        r = await desk.post(
            "/internal/v1/home-visits",
            headers=H,
            json={
                "resident_id": "res-closed",
                "village_code": JIANGHE,
                "service_code": "hukou",
                "reason": "elderly",
            },
        )
        assert r.status_code == 422
        assert "village_code" in r.text and "the resident's village is unknown or closed" in r.text
        assert await assigned(None)
        async with owner.factory() as s:
            unsent = await s.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        assert unsent == 0
