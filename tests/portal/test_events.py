"""`user.upserted` through the portal's outbox to the real broker: once per change, no password."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from services.portal.models import outbox
from services.portal.seed import all_specs, seed_accounts
from shared.messaging.broker import Broker, Consumer, Delivery
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from tests.conftest import AMQP_URL
from tests.portal.conftest import PortalHarness


class Received:
    def __init__(self) -> None:
        self.events: list[UserUpserted] = []
        self.arrived = asyncio.Event()

    async def handle(self, event: Event, delivery: Delivery) -> None:
        assert isinstance(event, UserUpserted)
        self.events.append(event)
        self.arrived.set()

    def of(self, user_id: str) -> list[UserUpserted]:
        return [e for e in self.events if e.user_id == user_id]

    async def wait_for(self, user_id: str, n: int, timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.of(user_id)) < n:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def received(portal: PortalHarness) -> AsyncIterator[Received]:
    sink = Received()
    broker = Broker(AMQP_URL, portal.settings.exchange)
    await broker.connect()
    consumer = Consumer(broker, "test", ["user.upserted"], sink.handle)
    await consumer.start()
    yield sink
    await consumer.stop()
    await broker.close()


async def test_each_account_change_arrives_exactly_once(
    portal: PortalHarness, received: Received
) -> None:
    form = {
        "phone": "13944445555",
        "password": "long-enough-1",
        "display_name": "王芳",
        "village_code": "VYZ0101",
    }
    c = portal.client()
    assert (await portal.register(c, form)).status_code == 303
    user_id = (await (await portal.api("13944445555", "long-enough-1")).get("/api/v1/me")).json()[
        "user_id"
    ]
    await received.wait_for(user_id, 1)
    [first] = received.of(user_id)
    assert (first.role, first.display_name, first.phone, first.language) == (
        "resident",
        "王芳",
        "13944445555",
        "zh-CN",
    )
    assert "password" not in first.model_dump_json()

    await portal.post_form(c, "/lang", {"language": "en"})
    await portal.post_form(c, "/lang", {"language": "en"})  # no change: no event
    await received.wait_for(user_id, 2)
    await asyncio.sleep(1.0)  # anything duplicated or extra would have arrived by now
    events = received.of(user_id)
    assert [e.language for e in events] == ["zh-CN", "en"]
    assert len({e.event_id for e in events}) == 2


async def test_an_email_set_on_the_profile_reaches_the_other_services(
    portal: PortalHarness, received: Received
) -> None:
    resident = await portal.login("resident")
    user_id = (await (await portal.api("resident")).get("/api/v1/me")).json()["user_id"]
    r = await portal.post_form(resident, "/profile/email", {"email": "not-an-address"})
    assert r.status_code == 422
    assert 'data-field="email"' in r.text and "不是有效的电子邮箱地址" in r.text
    assert 'value="not-an-address"' in r.text  # the form keeps what was typed

    r = await portal.post_form(resident, "/profile/email", {"email": " li.mei@example.cn "})
    assert r.status_code == 303 and r.headers["location"] == "/profile?email_saved=1"
    page = await resident.get("/profile?email_saved=1")
    assert "电子邮箱已保存" in page.text and 'value="li.mei@example.cn"' in page.text
    await received.wait_for(user_id, 1)
    assert [e.email for e in received.of(user_id)] == ["li.mei@example.cn"]

    await portal.post_form(resident, "/profile/email", {"email": "li.mei@example.cn"})  # same
    await portal.post_form(resident, "/profile/email", {"email": ""})  # removed
    await received.wait_for(user_id, 2)
    await asyncio.sleep(1.0)
    assert [e.email for e in received.of(user_id)] == ["li.mei@example.cn", None]
    r = await resident.post("/profile/email", data={"email": "x@y.cn"})  # no CSRF token
    assert r.status_code == 403


async def test_seed_is_idempotent_and_announces_every_person_once(portal: PortalHarness) -> None:
    specs = all_specs()
    # officer, chief and leader demo accounts are org rows; + resident, clerk, admin, 2 partners
    assert len(specs) == 387 + 62 + 46 + 3 + 2
    first = await seed_accounts(portal.runtime.factory, specs, progress=False)
    # The eight demo accounts (six roles, two partners) were already there (harness)
    assert first == len(specs) - 8
    second = await seed_accounts(portal.runtime.factory, specs, progress=False)
    assert second == 0
    async with portal.runtime.factory() as s:
        queued = (await s.execute(select(func.count()).select_from(outbox))).scalar_one()
    assert queued == len(specs)
