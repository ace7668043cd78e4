"""The points service's villages are a replica of the directory, fed over the real broker: a
village the organisation administrator creates (the disputes service owns the directory)
reaches points, whose shop for it then sells; a village renamed is renamed there; a listing
redelivered or arriving late changes nothing; nothing seeds points' villages here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from services.points.directory import record_village
from services.points.models import Account, Village
from shared.db import transaction
from shared.messaging.broker import Broker
from shared.messaging.contracts.directory import VillageListed
from shared.messaging.contracts.users import UserUpserted
from shared.runtime import ServiceRuntime
from tests.appointments.conftest import STATION
from tests.conftest import AMQP_URL
from tests.directory_apps import H, directory_owner, points_replica
from tests.disputes.test_directory_events import seed_one_station
from tests.helpers import eventually
from tests.points.conftest import RULES

API = "/internal/v1"
NEW = "VNEW0901"


def _item(village: str) -> dict[str, object]:
    return {"village_code": village, "shop": "新村爱心超市", "name": "肥皂", "price": 5, "stock": 3}


async def test_a_village_created_by_the_organisation_admin_gets_a_shop_in_points(
    tmp_path: Path, exchange: str, temporal_env: WorkflowEnvironment
) -> None:
    disputes = directory_owner(tmp_path, exchange, temporal_env.client)
    points = points_replica(tmp_path, exchange, RULES)
    owner: ServiceRuntime = disputes.state.runtime
    replica: ServiceRuntime = points.state.runtime
    bus = Broker(AMQP_URL, exchange)  # the portal's, and a redelivering broker's
    async with (
        disputes.router.lifespan_context(disputes),
        points.router.lifespan_context(points),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=disputes), base_url="http://disputes", headers=H
        ) as directory,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=points), base_url="http://points", headers=H
        ) as shop,
    ):
        refused = await shop.post(f"{API}/items", json=_item(NEW))
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "village_code"

        await seed_one_station(owner.factory)
        owner.wake_relay()
        rooms = (
            await directory.get(f"{API}/admin/directory/police-rooms", params={"station": STATION})
        ).json()
        village = {
            "name": "新村",
            "township": "头营镇",
            "station_code": STATION,
            "police_room_code": rooms[0]["code"],
            "actor_id": "admin-1",
            "reason": "新设行政村",
        }
        r = await directory.put(f"{API}/admin/directory/villages/{NEW}", json=village)
        assert r.status_code == 200, r.text

        async def replicated(name: str) -> tuple[str, str] | None:
            async with replica.factory() as s:
                row = await s.get(Village, NEW)
            return (row.name, row.station_code) if row is not None and row.name == name else None

        assert await eventually(
            lambda: replicated("新村"), 30, "the village never reached points"
        ) == ("新村", STATION)

        # the new village's shop sells: an item, a resident's code, a redemption at its counter
        item = await shop.post(f"{API}/items", json=_item(NEW))
        assert item.status_code == 201, item.text
        await bus.connect()
        await bus.publish_event(
            UserUpserted(user_id="res-new", role="resident", display_name="马新", village_code=NEW)
        )

        async def resident() -> Account | None:
            async with replica.factory() as s:
                return await s.get(Account, "res-new")

        assert (
            await eventually(resident, 30, "the account never reached points")
        ).village_code == NEW
        credit = await shop.post(
            f"{API}/accounts/res-new/adjustments",
            json={
                "amount": 12,
                "reason": "试点",
                "actor_id": "admin-1",
                "idempotency_key": "adj-new-1",
            },
        )
        assert credit.status_code == 201, credit.text
        code = (await shop.post(f"{API}/accounts/res-new/codes")).json()["code"]
        sold = await shop.post(
            f"{API}/redemptions",
            params={"clerk_village": NEW},
            json={
                "code": code,
                "item_id": item.json()["id"],
                "quantity": 2,
                "clerk_id": "clerk-new",
                "idempotency_key": "counter-new-1",
            },
        )
        assert sold.status_code == 201, sold.text
        assert (sold.json()["points"], sold.json()["balance_after"]) == (10, 2)

        # renamed by the administrator: renamed in points (the newer listing wins)
        r = await directory.put(
            f"{API}/admin/directory/villages/{NEW}", json={**village, "name": "新民村"}
        )
        assert r.status_code == 200, r.text
        await eventually(lambda: replicated("新民村"), 30, "the rename never reached points")

        # the first listing redelivered by the broker, and again arriving late: no change
        first = VillageListed(
            event_id="listing-of-old",
            village_code=NEW,
            village_name="新村",
            station_code=STATION,
            police_room_code=rooms[0]["code"],
            occurred_at=datetime.now(UTC) - timedelta(hours=1),
        )
        await bus.publish_event(first)
        await bus.publish_event(first)
        async with transaction(replica.factory) as s:
            await record_village(s, first)
        # a marker listed after the stale ones tells us they were consumed
        marker = first.model_copy(
            update={
                "event_id": "marker",
                "village_code": "VMARK01",
                "occurred_at": datetime.now(UTC),
            }
        )
        await bus.publish_event(marker)

        async def marked() -> Village | None:
            async with replica.factory() as s:
                return await s.get(Village, "VMARK01")

        await eventually(marked, 30, "the marker never reached points")
        assert await replicated("新民村") == ("新民村", STATION)
    await bus.close()
