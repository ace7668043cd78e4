"""The directory has one owner, the disputes service; the appointment desk keeps a replica from
its `directory.village_listed` events over the real broker and assigns from it (no demo data
at run time)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select, update
from temporalio.testing import WorkflowEnvironment

from services.appointments.api import create_app as create_appointments
from services.appointments.models import DirectoryVillage
from services.disputes.api import create_app as create_disputes
from services.disputes.directory import publish_directory
from services.disputes.models import RoomOfficer, Village, outbox
from services.disputes.seed import seed_directory
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import AppointmentsSettings, DisputesSettings
from shared.db import transaction
from shared.runtime import ServiceRuntime
from tests.appointments.conftest import JIANGHE, STATION
from tests.conftest import AMQP_URL
from tests.helpers import eventually

TOKEN = "t"
H = {INTERNAL_TOKEN_HEADER: TOKEN}


async def test_the_desk_assigns_from_the_directory_the_disputes_service_publishes(
    tmp_path: Path, exchange: str, temporal_env: WorkflowEnvironment
) -> None:
    common = {"exchange": exchange, "amqp_url": AMQP_URL, "internal_token": TOKEN}
    disputes = create_disputes(
        DisputesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'disputes.db'}",
            relay_interval_seconds=0.1,
            **common,  # type: ignore[arg-type]
        ),
        temporal=temporal_env.client,
    )
    appointments = create_appointments(
        AppointmentsSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'appointments.db'}",
            run_jobs=False,
            **common,  # type: ignore[arg-type]
        ),
        connect_temporal=False,
    )
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
        async with owner.factory() as s:
            unsent = await s.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        assert unsent == 0
