"""The bus knows who speaks: over the real broker, with broker users made for the module by
rabbitmqctl (deleted afterwards), a `dispute.closed` forged by a user that does not own
disputes events credits nobody and lands in the dead-letter queue saying why; RabbitMQ itself
refuses a publisher that claims another user's id."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import httpx
import pytest
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed
from prometheus_client import REGISTRY

from deploy.rabbitmq import delete_users, import_users
from services.points.api import create_app
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import PointsSettings
from shared.messaging.broker import Broker, queue_name
from shared.messaging.contracts.disputes import DisputeClosed
from shared.messaging.events import registered
from shared.messaging.identity import REASON_HEADER, SENDER_HEADER, SenderCheck
from shared.messaging.topology import SUBSCRIPTIONS, owner_of
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.points.conftest import RULES

API = "/internal/v1"
RABBITMQCTL = "/usr/sbin/rabbitmqctl"


@dataclass
class BrokerUser:
    name: str
    url: str


@pytest.fixture(scope="module")
def exchange() -> Iterator[str]:
    """One exchange for the module (its broker users are made once: rabbitmqctl is slow)."""
    name = f"fq-test-{uuid.uuid4().hex[:10]}"
    yield name

    async def cleanup() -> None:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for svc in SUBSCRIPTIONS:
                for suffix in ("", ".retry", ".dead"):
                    await channel.queue_delete(f"{queue_name(name, svc)}{suffix}")
            await channel.exchange_delete(name)
            await channel.exchange_delete(f"{name}.dlx")

    asyncio.run(cleanup())


@pytest.fixture(scope="module")
def broker_users(exchange: str) -> Iterator[dict[str, BrokerUser]]:
    """Two broker users, allowed on the module's exchange only (deploy/rabbitmq's permissions,
    created from the same definitions compose's broker loads): disputes and an intruder."""
    amqp = urlsplit(AMQP_URL)
    passwords = {f"{exchange}-{role}": secrets.token_hex(12) for role in ("disputes", "intruder")}
    import_users(passwords, exchange, rabbitmqctl=RABBITMQCTL)
    try:
        yield {
            name.rsplit("-", 1)[1]: BrokerUser(
                name, f"amqp://{name}:{password}@{amqp.hostname}:{amqp.port}/"
            )
            for name, password in passwords.items()
        }
    finally:
        delete_users(list(passwords), rabbitmqctl=RABBITMQCTL)


@dataclass
class Points:
    client: httpx.AsyncClient
    runtime: ServiceRuntime


@pytest.fixture
async def points(
    tmp_path: Path, exchange: str, broker_users: dict[str, BrokerUser]
) -> AsyncIterator[Points]:
    settings = PointsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'points.db'}",
        amqp_url=AMQP_URL,
        exchange=exchange,
        bus_users={"disputes": broker_users["disputes"].name, "points": "guest"},
    )
    app = create_app(settings, rules=RULES)
    async with app.router.lifespan_context(app):
        runtime: ServiceRuntime = app.state.runtime

        async def consuming() -> bool:
            return runtime.consumer is not None

        await eventually(consuming)
        headers = {INTERNAL_TOKEN_HEADER: settings.internal_token}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://points", headers=headers
        ) as client:
            yield Points(client, runtime)


def closure(helper: str) -> DisputeClosed:
    return DisputeClosed(
        case_id="no-such-case",
        case_no="FQ2026-999999",
        colour="green",
        stage="closed",
        village_code="VYZ0101",
        settlement="双方和解",
        helper_ids=[helper],
    )


async def connected(url: str, exchange: str) -> Broker:
    broker = Broker(url, exchange)
    for _ in range(50):  # the users' import completes asynchronously
        try:
            await broker.connect()
            return broker
        except aio_pika.exceptions.ProbableAuthenticationError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"cannot log in to the broker as {urlsplit(url).username}")


async def publish_as(user: BrokerUser, exchange: str, event: DisputeClosed) -> None:
    broker = await connected(user.url, exchange)
    try:
        await broker.publish_event(event)
    finally:
        await broker.close()


async def balance(p: Points, account: str) -> int:
    r = await p.client.get(f"{API}/accounts/{account}")
    return int(r.json()["balance"]) if r.status_code == 200 else 0


def rejected_metric(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "fengqiao_bus_rejected_total", {"service": "points", "reason": reason}
    )
    return value or 0.0


async def dead_letter(exchange: str) -> aio_pika.abc.AbstractIncomingMessage:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(f"{queue_name(exchange, 'points')}.dead", passive=True)
        for _ in range(100):
            msg = await dead.get(fail=False)
            if msg is not None:
                await msg.ack()
                return msg
            await asyncio.sleep(0.1)
    raise AssertionError("nothing dead-lettered")


async def test_forged_dispute_closed_credits_nobody_and_is_dead_lettered_with_the_reason(
    points: Points, exchange: str, broker_users: dict[str, BrokerUser]
) -> None:
    before = rejected_metric("not_owner")
    intruder = broker_users["intruder"]
    await publish_as(intruder, exchange, closure("res-forged"))
    msg = await dead_letter(exchange)
    assert msg.type == "dispute.closed"
    headers: dict[str, Any] = dict(msg.headers or {})
    assert headers[SENDER_HEADER] == intruder.name
    assert headers[REASON_HEADER] == (
        f"dispute.closed sent by {intruder.name!r},"
        f" only {broker_users['disputes'].name!r} may send it"
    )
    assert rejected_metric("not_owner") == before + 1
    assert await balance(points, "res-forged") == 0
    metrics = await points.client.get("/metrics")  # the client holds the internal token
    assert 'fengqiao_bus_rejected_total{reason="not_owner",service="points"}' in metrics.text

    # the same event from the disputes service's own user is credited
    await publish_as(broker_users["disputes"], exchange, closure("res-helper"))

    async def credited() -> bool:
        return await balance(points, "res-helper") == RULES.mediation_help

    await eventually(credited)
    assert await balance(points, "res-forged") == 0


async def test_the_broker_refuses_a_user_id_that_is_not_the_connections(
    exchange: str, broker_users: dict[str, BrokerUser]
) -> None:
    await (await connected(broker_users["intruder"].url, exchange)).close()
    connection = await aio_pika.connect(broker_users["intruder"].url)
    async with connection:
        other = await connection.channel()
        with pytest.raises(ChannelAccessRefused):  # its permissions cover this exchange only
            await other.declare_exchange(f"{exchange}-other", durable=True)
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        forged = aio_pika.Message(
            closure("res-forged").body(),
            type="dispute.closed",
            user_id=broker_users["disputes"].name,
        )
        with pytest.raises(ChannelPreconditionFailed, match="user_id property"):
            await ex.publish(forged, routing_key="dispute.closed")


async def test_dev_default_still_refuses_a_message_without_user_id(points: Points) -> None:
    """One guest user for every process (make run, the tests): the owner check can only ask
    for the connection's user, but a message without any user_id is still refused."""
    check = SenderCheck("guest")
    assert check.refusal("dispute.closed", "guest", {}) is None
    refusal = check.refusal("dispute.closed", None, {})
    assert refusal is not None and refusal.detail == "dispute.closed carries no user_id"
    no_owner = check.refusal("gossip.spread", "guest", {})
    assert no_owner is not None and no_owner.reason == "no_owner"


def test_a_retried_message_keeps_its_original_sender_only_under_the_consumers_own_user() -> None:
    check = SenderCheck("fq-points", {"disputes": "fq-disputes"})
    retried = {SENDER_HEADER: "fq-disputes"}
    assert check.refusal("dispute.closed", "fq-points", retried) is None
    forged = check.refusal("dispute.closed", "fq-notifications", retried)
    assert forged is not None and forged.reason == "not_owner"
    unmapped = SenderCheck("fq-points", {"disputes": "fq-disputes"})
    missing = unmapped.refusal("user.upserted", "fq-portal", {})
    assert missing is not None and missing.reason == "no_owner"


def test_every_event_contract_has_an_owning_service() -> None:
    orphans = sorted({rk for rk, _ in registered() if owner_of(rk) is None})
    assert orphans == []


async def test_make_run_gives_each_process_its_services_broker_user(
    exchange: str, tmp_path: Path
) -> None:
    from deploy.rabbitmq import BUS_SERVICES, delete_users_with_rabbitmqctl, user_of
    from deploy.run import broker_identities
    from shared.config import StackSettings

    stack = StackSettings(exchange=exchange, var_dir=tmp_path, amqp_url=AMQP_URL)
    urls = await asyncio.to_thread(broker_identities, stack)
    try:
        assert urls is not None
        assert urlsplit(urls["disputes-worker"]).username == user_of("disputes", exchange)
        assert urlsplit(urls["sink"]).username == user_of("notifications", exchange)
        assert (tmp_path / "broker-passwords.json").stat().st_mode & 0o077 == 0
        broker = await connected(urls["points"], exchange)
        assert broker.user == user_of("points", exchange)
        await broker.close()
    finally:
        await asyncio.to_thread(delete_users_with_rabbitmqctl, exchange, rabbitmqctl=RABBITMQCTL)
    listed = await asyncio.to_thread(
        subprocess.run, [RABBITMQCTL, "list_users", "-q"], capture_output=True, text=True
    )
    assert not any(user_of(s, exchange) in listed.stdout for s in BUS_SERVICES)
