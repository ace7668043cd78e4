"""The points service as it runs: HTTP API, real RabbitMQ consumer and outbox relay."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import aio_pika
import httpx

from services.points import ledger
from services.points.models import Group, GroupMember, Item
from shared.db import transaction
from shared.messaging.broker import Broker
from shared.messaging.contracts.disputes import DisputeClosed
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.points.conftest import PointsApp

API = "/internal/v1"
CST = ZoneInfo("Asia/Shanghai")


def runtime(p: PointsApp) -> ServiceRuntime:
    rt: ServiceRuntime = p.app.state.runtime
    return rt


async def test_same_event_delivered_twice_through_the_broker_credits_once(
    points_app: PointsApp, exchange: str
) -> None:
    rt = runtime(points_app)

    async def consuming() -> bool:
        return rt.consumer is not None

    await eventually(consuming)
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        awarded = await channel.declare_queue(exclusive=True)
        await awarded.bind(exchange, routing_key="points.awarded")
        broker = Broker(AMQP_URL, exchange)
        await broker.connect()
        closed = DisputeClosed(
            case_id="case-42",
            case_no="YZ-2026-0042",
            colour="green",
            stage="closed",
            village_code="VYZ0101",
            settlement="双方和解",
            helper_ids=["res-a", "res-b"],
        )
        await broker.publish_event(closed)
        await broker.publish_event(closed)  # a redelivery: same message id
        await broker.publish_event(closed.model_copy(update={"event_id": "retried-producer"}))
        await broker.close()

        async def all_handled() -> bool:
            assert rt.consumer is not None
            return rt.consumer.handled >= 3

        await eventually(all_handled)
        for helper in ("res-a", "res-b"):
            account = (await points_app.client.get(f"{API}/accounts/{helper}")).json()
            assert (account["balance"], account["version"]) == (10, 1)
        bodies = []

        async def two_events_out() -> bool:
            msg = await awarded.get(fail=False, timeout=1)
            if msg is not None:
                bodies.append(json.loads(msg.body))
                await msg.ack()
            return len(bodies) >= 2

        await eventually(two_events_out)
        extra = await awarded.get(fail=False, timeout=1)
        assert extra is None
    assert sorted((b["account_id"], b["amount"], b["reason_kind"]) for b in bodies) == [
        ("res-a", 10, "mediation"),
        ("res-b", 10, "mediation"),
    ]


async def seed(p: PointsApp) -> None:
    async with transaction(runtime(p).factory) as s:
        s.add(Group(code="G01", name="头营镇六盘义警", village_code="V1", leader_id="leader-G01"))
        await s.flush()
        s.add(GroupMember(group_code="G01", user_id="m1", display_name="何"))
        s.add(
            Item(id="soap", village_code="V1", shop="蒋河村爱心超市", name="肥皂", price=5, stock=3)
        )
        await ledger.ensure_account(s, "res-1", display_name="马秀英", village_code="V1")


async def test_redeem_at_the_counter_and_what_each_side_sees(points_app: PointsApp) -> None:
    c = points_app.client
    await seed(points_app)
    r = await c.post(
        f"{API}/accounts/res-1/adjustments",
        json={
            "amount": 12,
            "reason": "demo",
            "actor_id": "admin-0001",
            "idempotency_key": "adj-0001",
        },
    )
    assert r.status_code == 201, r.text
    code = (await c.post(f"{API}/accounts/res-1/codes")).json()["code"]
    seen = (await c.get(f"{API}/codes/{code}")).json()
    assert seen["balance"] == 12
    body = {"code": code, "item_id": "soap", "quantity": 2, "clerk_id": "clerk-0001"}
    r = await c.post(f"{API}/redemptions", json={**body, "idempotency_key": "counter-001"})
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert (receipt["item_name"], receipt["points"], receipt["balance_after"]) == ("肥皂", 10, 2)
    again = await c.post(f"{API}/redemptions", json={**body, "idempotency_key": "counter-001"})
    assert again.json()["receipt_no"] == receipt["receipt_no"]
    used = await c.post(f"{API}/redemptions", json={**body, "idempotency_key": "counter-002"})
    assert used.status_code == 409
    problem = used.json()
    assert used.headers["content-type"] == "application/problem+json"
    assert (problem["detail"], problem["reason"], problem["field"], problem["status"]) == (
        "unknown, used or expired code",
        "unknown, used or expired code",
        "code",
        409,
    )
    other_shop = await c.post(
        f"{API}/redemptions",
        params={"clerk_village": "V9"},
        json={**body, "idempotency_key": "counter-003"},
    )
    assert other_shop.status_code == 403
    day = datetime.fromisoformat(receipt["created_at"]).astimezone(CST).date().isoformat()
    daily = await c.get(f"{API}/redemptions", params={"clerk_id": "clerk-0001", "day": day})
    history = (await c.get(f"{API}/accounts/res-1/history")).json()
    assert [(e["kind"], e["amount"]) for e in history["entries"]] == [
        ("redeem", -10),
        ("adjust", 12),
    ]
    items = (await c.get(f"{API}/items", params={"village_code": "V1"})).json()
    assert [(i["name"], i["stock"]) for i in items] == [("肥皂", 1)]
    assert [(x["receipt_no"], x["display_name"]) for x in daily.json()["redemptions"]] == [
        (receipt["receipt_no"], "马秀英")
    ]
    assert "reason" not in json.dumps(daily.json())  # the clerk never learns why points came


async def test_bad_input_gets_field_and_reason(points_app: PointsApp) -> None:
    c = points_app.client
    await seed(points_app)
    r = await c.post(
        f"{API}/patrols",
        json={
            "group_code": "G01",
            "leader_id": "leader-G01",
            "member_ids": ["m1"],
            "village_code": "V1",
            "started_at": "2026-11-20T10:00:00+08:00",
            "ended_at": "2026-11-20T08:00:00+08:00",
            "idempotency_key": "patrol-bad-1",
        },
    )
    assert r.status_code == 422
    assert "ended_at must be after started_at" in r.text
    r = await c.post(
        f"{API}/tips", json={"tipster_id": "res-1", "text": "x", "idempotency_key": "k"}
    )
    assert r.status_code == 422
    fields = {tuple(e["loc"]) for e in r.json()["detail"]}
    assert fields == {("body", "text"), ("body", "idempotency_key")}
    assert (await c.post(f"{API}/patrols/nope/cosign", json={"officer_id": "o"})).status_code == 404
    r = await c.post(
        f"{API}/accounts/res-1/adjustments",
        json={
            "amount": 0,
            "reason": "zero",
            "actor_id": "admin-0001",
            "idempotency_key": "adj-zero",
        },
    )
    assert r.status_code == 422
    no_token = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=points_app.app), base_url="http://p"
    )
    async with no_token:
        assert (await no_token.get(f"{API}/accounts/res-1")).status_code == 401


async def test_figures_and_chain_endpoint(points_app: PointsApp) -> None:
    c = points_app.client
    await seed(points_app)
    patrol = await c.post(
        f"{API}/patrols",
        json={
            "group_code": "G01",
            "leader_id": "leader-G01",
            "member_ids": ["m1"],
            "village_code": "V1",
            "started_at": "2026-11-20T08:00:00+08:00",
            "ended_at": "2026-11-20T10:30:00+08:00",
            "idempotency_key": "patrol-ok-1",
        },
    )
    assert patrol.status_code == 201, patrol.text
    signed = await c.post(
        f"{API}/patrols/{patrol.json()['id']}/cosign", json={"officer_id": "off-0001"}
    )
    assert signed.json()["members"] == [{"user_id": "m1", "minutes": 150, "points": 10}]
    figures = (await c.get(f"{API}/figures")).json()
    assert figures["groups"] == [{"key": "G01", "name": "头营镇六盘义警", "points": 10}]
    assert figures["villages"] == [{"key": "V1", "name": "V1", "points": 10}]
    assert figures["patrol_hours"] == 2.5
    assert [m["issued"] for m in figures["months"]] == [10]
    upkeep = (await c.post(f"{API}/maintenance")).json()
    assert upkeep == {"expired_entries": 0, "expired_points": 0, "voided_holds": 0}
    chain = (await c.get(f"{API}/chain/verify")).json()
    assert (chain["ok"], chain["entries"]) == (True, 2)
