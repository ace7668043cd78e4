"""The directory has one owner, the disputes service; the appointment desk keeps a replica from
its `directory.*` events over the real broker and assigns from it (no demo data at run time):
an officer, police room or village listed inactive is assigned no more, and a closed village
takes no door-to-door request; each record keeps its newest listing, whatever order or how
often the listings arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select, update
from temporalio.testing import WorkflowEnvironment

from services.appointments.api import create_app as create_appointments
from services.appointments.models import DirectoryOfficer, DirectoryRoom, DirectoryVillage
from services.disputes import directory
from services.disputes.directory import publish_directory
from services.disputes.directory_closing import close_village
from services.disputes.models import PoliceRoom, RoomOfficer, Village, outbox
from services.disputes.seed import seed_directory
from shared.config import AppointmentsSettings
from shared.contracts.directory import OrgCloseWrite
from shared.db import transaction
from shared.messaging.broker import Broker
from shared.messaging.contracts.directory import OfficerPosted, PoliceRoomListed, VillageListed
from shared.runtime import ServiceRuntime
from tests.appointments.conftest import JIANGHE, STATION
from tests.conftest import AMQP_URL
from tests.directory_apps import TOKEN, H, desk_replica, directory_owner
from tests.helpers import eventually

LATE = "VLATE01"
MARKER = "VMARK02"


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

        # every listing goes out: the relay marks a row only after the broker's confirm, which
        # may come after the desk has already applied the message
        async def all_sent() -> bool | None:
            async with owner.factory() as s:
                unsent = await s.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
            return True if unsent == 0 else None

        assert await eventually(all_sent, 30, "an outbox row was never published")


async def test_a_late_or_redelivered_listing_changes_nothing_at_the_desk(
    tmp_path: Path, exchange: str
) -> None:
    """Over the real broker: each record's newest listing wins whatever order the listings
    arrive in, and a listing delivered twice writes nothing new."""
    appointments = create_appointments(
        AppointmentsSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'appointments.db'}",
            run_jobs=False,
            exchange=exchange,
            amqp_url=AMQP_URL,
            internal_token=TOKEN,
        ),
        connect_temporal=False,
    )
    replica: ServiceRuntime = appointments.state.runtime
    now = datetime.now(UTC)
    old, new = now - timedelta(hours=2), now - timedelta(hours=1)
    village = VillageListed(
        village_code=LATE,
        village_name="新村",
        station_code=STATION,
        police_room_code="RLATE01",
        officer_id="off-new",
        chief_id=f"chief-{STATION}",
        occurred_at=new,
    )
    room = PoliceRoomListed(
        police_room_code="RLATE01",
        name="新村警务室",
        station_code=STATION,
        village_code=LATE,
        officer_ids=["off-new"],
        occurred_at=new,
    )
    officer = OfficerPosted(
        officer_id="off-old",
        name="王警官",
        station_code=STATION,
        police_room_codes=[],
        active=False,
        occurred_at=new,
    )
    stale = [
        village.model_copy(
            update={"event_id": "v-old", "village_name": "旧村", "officer_id": "off-old"}
        ),
        room.model_copy(update={"event_id": "r-old", "officer_ids": ["off-old"]}),
        officer.model_copy(
            update={"event_id": "o-old", "police_room_codes": ["RLATE01"], "active": True}
        ),
    ]
    stale = [e.model_copy(update={"occurred_at": old}) for e in stale]
    bus = Broker(AMQP_URL, exchange)
    transport = httpx.ASGITransport(app=appointments)
    async with (
        appointments.router.lifespan_context(appointments),
        httpx.AsyncClient(transport=transport, base_url="http://appointments") as desk,
    ):
        await bus.connect()
        # the newer listings first, each twice; then the older ones, late and twice
        for event in (village, room, officer, village, room, officer, *stale, *stale):
            await bus.publish_event(event)
        # a listing sent after all of them tells us they were consumed
        await bus.publish_event(
            village.model_copy(update={"event_id": "marker", "village_code": MARKER})
        )

        async def marked() -> DirectoryVillage | None:
            async with replica.factory() as s:
                return await s.get(DirectoryVillage, MARKER)

        await eventually(marked, 30, "the listings never reached the desk")
        async with replica.factory() as s:
            v = await s.get(DirectoryVillage, LATE)
            r = await s.get(DirectoryRoom, "RLATE01")
            o = await s.get(DirectoryOfficer, "off-old")
        assert v is not None and r is not None and o is not None
        assert (v.name, v.officer_id) == ("新村", "off-new")
        assert r.officer_ids == ["off-new"]
        assert (o.active, o.police_room_codes) == (False, [])
        answer = await desk.get(f"/internal/v1/directory/villages/{LATE}/assignment", headers=H)
        assert answer.json()["officer_id"] == "off-new"
    await bus.close()
