"""Love supermarket stock: the administrator adds an item with its price and low-stock mark,
the clerk's counter takes the stock down, and the village's group leader gets one SMS per
shortage — points service (outbox) → real RabbitMQ → notifications service → message sink."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from services.disputes.api import create_app as create_disputes_app
from services.disputes.seed import seed_directory
from services.points.api import create_app as create_points_app
from services.points.models import Village
from shared import migrate
from shared.config import DisputesSettings, PointsSettings
from shared.db import make_engine, make_session_factory
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.notifications.conftest import ServiceFactory, Sink
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness

LEADER = ACCOUNTS["group_leader"]
CLERK = ACCOUNTS["clerk"]
VILLAGE = CLERK.village or ""


@dataclass
class Shop:
    portal: PortalHarness
    sink: Sink


async def disputes_directory(url: str, exchange: str) -> FastAPI:
    await asyncio.to_thread(migrate.upgrade, "disputes", url)
    engine = make_engine(url)
    await seed_directory(make_session_factory(engine))
    await engine.dispose()
    return create_disputes_app(
        DisputesSettings(database_url=url, exchange=exchange, amqp_url=AMQP_URL)
    )


@pytest.fixture
async def shop(
    portal_factory: PortalFactory,
    start_service: ServiceFactory,
    sink: Sink,
    sqlite_url: Callable[[str], str],
    exchange: str,
) -> AsyncIterator[Shop]:
    await start_service(sqlite_url("notifications"))
    points = create_points_app(
        PointsSettings(
            database_url=sqlite_url("points"),
            amqp_url=AMQP_URL,
            exchange=exchange,
            relay_interval_seconds=0.1,
        )
    )
    disputes = await disputes_directory(sqlite_url("disputes"), exchange)
    async with portal_factory(backends={"points": points, "disputes": disputes}) as h:
        # points' villages are a replica: the seeded directory's listing of the clerk's
        # village travels disputes outbox -> broker -> points before its shop can sell
        replica: ServiceRuntime = points.state.runtime

        async def listed() -> Village | None:
            async with replica.factory() as s:
                return await s.get(Village, VILLAGE)

        await eventually(listed, 30, f"the directory's {VILLAGE} never reached points")
        yield Shop(h, sink)


def sms_to(sink: Sink, phone: str) -> Callable[[], Any]:
    async def check() -> list[str]:
        return [m.body for m in sink.received("sms", to=phone)]

    return check


async def test_low_stock_tells_the_group_leader_once_per_shortage(shop: Shop) -> None:
    h = shop.portal
    admin = await h.login("admin")
    r = await h.post_form(
        admin,
        "/admin/supermarket/items",
        {
            "village_code": VILLAGE,
            "shop": "蒋河村爱心超市",
            "name": "香皂",
            "price": "15",
            "stock": "3",
            "low_at": "2",
        },
    )
    assert r.status_code == 303, r.text
    page = await admin.get("/admin/supermarket")
    assert "香皂" in page.text and "库存 3 件" in page.text
    [item] = [
        i
        for i in (await (await h.api("admin")).get("/api/v1/admin/supermarket/items")).json()
        if i["name"] == "香皂"
    ]
    assert (item["price"], item["stock"], item["low_at"], item["low"]) == (15, 3, 2, False)

    clerk = await h.login("clerk")

    async def counter(delta: int) -> None:
        r = await h.post_form(clerk, "/redeem/stock", {"item_id": item["id"], "delta": str(delta)})
        assert r.status_code == 303, r.text

    await counter(-1)  # 2 left: at the mark
    [first] = await eventually(sms_to(shop.sink, LEADER.phone or ""), timeout=30)
    assert "香皂" in first and "仅剩2件" in first
    await counter(-1)  # still short: no second message
    await counter(+5)  # restocked above the mark: the alert is armed again
    await counter(-5)  # 1 left
    bodies = await eventually(
        lambda: _at_least(sms_to(shop.sink, LEADER.phone or ""), 2), timeout=30
    )
    assert len(bodies) == 2 and "仅剩1件" in bodies[0]
    low = [
        i
        for i in (await (await h.api("admin")).get("/api/v1/admin/supermarket/items")).json()
        if i["id"] == item["id"]
    ]
    assert (low[0]["stock"], low[0]["low"]) == (1, True)


async def _at_least(check: Callable[[], Any], n: int) -> list[str] | None:
    found: list[str] = await check()
    return found if len(found) >= n else None


async def test_the_supermarket_api_checks_input_and_roles(shop: Shop) -> None:
    h = shop.portal
    api = await h.api("admin")
    bad = await api.post(
        "/api/v1/admin/supermarket/items",
        json={"village_code": "NOWHERE", "shop": "x", "name": "y", "price": 5, "stock": 1},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "village_code"
    zero = await api.post(
        "/api/v1/admin/supermarket/items",
        json={"village_code": VILLAGE, "shop": "x", "name": "y", "price": 0, "stock": 1},
    )
    assert zero.status_code == 422 and zero.json()["detail"][0]["field"] == "price"
    made = await api.post(
        "/api/v1/admin/supermarket/items",
        json={
            "village_code": VILLAGE,
            "shop": "蒋河村爱心超市",
            "name": "毛巾",
            "price": 8,
            "stock": 4,
        },
    )
    assert made.status_code == 201, made.text
    changed = await api.patch(
        f"/api/v1/admin/supermarket/items/{made.json()['id']}", json={"price": 12}
    )
    assert changed.status_code == 200 and changed.json()["price"] == 12
    assert (
        await api.patch("/api/v1/admin/supermarket/items/nothing", json={"price": 3})
    ).status_code == 404
    for who in ("clerk", "group_leader", "officer"):
        assert (await (await h.api(who)).get("/api/v1/admin/supermarket/items")).status_code == 403
        assert (await (await h.login(who)).get("/admin/supermarket")).status_code == 403
