"""Outbox -> real RabbitMQ -> consumer with inbox: exactly once in effect, nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import aio_pika
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_metadata, transaction
from shared.messaging.broker import Broker, Consumer, Delivery, queue_name
from shared.messaging.contracts.points import PointsAwarded
from shared.messaging.events import Event
from shared.messaging.outbox import OutboxRelay, add_event, claim_message, inbox_table, outbox_table
from tests.conftest import AMQP_URL
from tests.helpers import eventually, tables_on
from tests.proxy import TcpProxy


@dataclass
class Probe:
    """A throwaway service: a ledger table, an outbox and an inbox."""

    metadata: MetaData
    ledger: Table
    outbox: Table
    inbox: Table
    factory: async_sessionmaker[AsyncSession]


@pytest.fixture
async def probe(db_url: str) -> AsyncIterator[Probe]:
    md = make_metadata()
    ledger = Table(
        "ledger",
        md,
        Column("id", Integer, primary_key=True),
        Column("account", String(32)),
        Column("amount", Integer),
    )
    out, inb = outbox_table(md), inbox_table(md)
    async with tables_on(db_url, md) as factory:
        yield Probe(md, ledger, out, inb, factory)


def award(n: int) -> PointsAwarded:
    return PointsAwarded(
        account_id=f"acc-{n % 3}", amount=10, balance=0, entry_id=f"e{n}", reason_kind="mediation"
    )


async def apply_once(probe: Probe, event: Event, delivery: Delivery) -> None:
    assert isinstance(event, PointsAwarded)
    async with transaction(probe.factory) as session:
        if not await claim_message(session, probe.inbox, "probe", delivery.message_id):
            return
        await session.execute(
            probe.ledger.insert().values(account=event.account_id, amount=event.amount)
        )


async def ledger_total(probe: Probe) -> tuple[int, int]:
    async with probe.factory() as s:
        row = (
            await s.execute(select(func.count(), func.coalesce(func.sum(probe.ledger.c.amount), 0)))
        ).one()
    return int(row[0]), int(row[1])


async def test_outbox_event_consumed_exactly_once_even_when_delivered_twice(
    probe: Probe, exchange: str
) -> None:
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    consumer = Consumer(broker, "probe", ["points.*"], lambda e, d: apply_once(probe, e, d))
    await consumer.start()
    relay = OutboxRelay(probe.factory, probe.outbox, broker)
    events = [award(i) for i in range(20)]
    async with transaction(probe.factory) as session:
        for e in events:
            await add_event(session, probe.outbox, e)
    assert await relay.publish_pending() == 20
    # the same messages again, as a redelivery after a lost ack would bring them
    for e in events[:5]:
        await broker.publish_event(e)

    async def all_handled() -> bool:
        return consumer.handled >= 25

    await eventually(all_handled)
    assert await ledger_total(probe) == (20, 200)
    await consumer.stop()
    await broker.close()


async def test_the_relay_publishes_a_batch_in_outbox_order(probe: Probe, exchange: str) -> None:
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    raw = await aio_pika.connect(AMQP_URL)
    async with raw:
        ch = await raw.channel()
        queue = await ch.declare_queue(exclusive=True)  # gone with the connection
        await queue.bind(exchange, routing_key="points.*")
        events = [award(i) for i in range(60)]
        async with transaction(probe.factory) as session:
            for e in events:
                await add_event(session, probe.outbox, e)
        assert await OutboxRelay(probe.factory, probe.outbox, broker).publish_pending() == 60
        arrived: list[str | None] = []
        while len(arrived) < 60:
            msg = await queue.get(timeout=10)
            arrived.append(msg.message_id)
            await msg.ack()
    assert arrived == [e.event_id for e in events]
    async with probe.factory() as s:
        unpublished = probe.outbox.c.published_at.is_(None)
        left = (await s.execute(select(func.count()).where(unpublished))).scalar_one()
    assert left == 0
    await broker.close()


async def test_changes_commit_while_broker_is_cut_and_every_event_arrives_after(
    probe: Probe, exchange: str
) -> None:
    # consumer straight on the broker; producer behind a proxy we can cut
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    consumer_broker = Broker(AMQP_URL, exchange)
    await consumer_broker.connect()
    consumer = Consumer(
        consumer_broker, "probe", ["points.*"], lambda e, d: apply_once(probe, e, d)
    )
    await consumer.start()
    producer = Broker(proxy.url(), exchange)
    await producer.connect()
    relay = OutboxRelay(probe.factory, probe.outbox, producer, interval=0.1)
    relay_task = asyncio.create_task(relay.run())

    proxy.cut()
    for i in range(30):  # the service keeps working: each change commits with its event
        async with transaction(probe.factory) as session:
            await add_event(session, probe.outbox, award(i))
        relay.wake()
    await asyncio.sleep(1.0)
    async with probe.factory() as s:
        queued = (await s.execute(select(func.count()).select_from(probe.outbox))).scalar_one()
    assert queued == 30
    proxy.restore()

    async def all_in() -> bool:
        return (await ledger_total(probe))[0] == 30

    await eventually(all_in, timeout=60)
    assert await ledger_total(probe) == (30, 300)
    relay_task.cancel()
    await consumer.stop()
    await producer.close()
    await consumer_broker.close()
    await proxy.close()


async def test_poison_message_is_dead_lettered_and_consumer_keeps_going(
    probe: Probe, exchange: str
) -> None:
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    consumer = Consumer(
        broker, "probe", ["points.*"], lambda e, d: apply_once(probe, e, d), retry_delays_ms=[50]
    )
    await consumer.start()
    raw = await aio_pika.connect(AMQP_URL)
    async with raw:
        ch = await raw.channel()
        ex = await ch.get_exchange(exchange)
        await ex.publish(
            aio_pika.Message(b"{not json", message_id="bad-1", type="points.awarded"),
            routing_key="points.awarded",
        )
        await broker.publish_event(award(1))

        async def good_applied() -> bool:
            return (await ledger_total(probe))[0] == 1

        await eventually(good_applied)
        dead = await ch.declare_queue(f"{queue_name(exchange, 'probe')}.dead", passive=True)
        msg = None
        for _ in range(50):
            msg = await dead.get(fail=False)
            if msg is not None:
                break
            await asyncio.sleep(0.1)
        assert msg is not None and msg.message_id == "bad-1"
        await msg.ack()
    assert consumer.dead_lettered == 1
    await consumer.stop()
    await broker.close()


async def test_failing_handler_is_retried_with_delay_then_dead_lettered(exchange: str) -> None:
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    attempts: list[int] = []

    async def flaky(event: Event, delivery: Delivery) -> None:
        attempts.append(delivery.retries)
        raise RuntimeError("downstream unavailable")

    consumer = Consumer(broker, "probe", ["points.*"], flaky, retry_delays_ms=[50, 100])
    await consumer.start()
    await broker.publish_event(award(7))

    async def gave_up() -> bool:
        return consumer.dead_lettered == 1

    await eventually(gave_up)
    assert attempts == [0, 1, 2]
    await consumer.stop()
    await broker.close()


async def test_consumer_reconnects_by_itself_after_the_connection_is_cut(
    probe: Probe, exchange: str
) -> None:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    consumer_broker = Broker(proxy.url(), exchange)
    await consumer_broker.connect()
    consumer = Consumer(
        consumer_broker, "probe", ["points.*"], lambda e, d: apply_once(probe, e, d)
    )
    await consumer.start()
    producer = Broker(AMQP_URL, exchange)
    await producer.connect()
    await producer.publish_event(award(0))

    async def first() -> bool:
        return (await ledger_total(probe))[0] == 1

    await eventually(first)
    proxy.cut()
    for i in range(1, 11):  # published while the consumer is cut off: they wait in its queue
        await producer.publish_event(award(i))
    await asyncio.sleep(2)
    assert (await ledger_total(probe))[0] == 1
    proxy.restore()

    async def rest() -> bool:
        return (await ledger_total(probe))[0] == 11

    await eventually(rest, timeout=60)
    assert await ledger_total(probe) == (11, 110)
    await consumer.stop()
    await producer.close()
    await consumer_broker.close()
    await proxy.close()


async def test_event_published_before_its_consumer_first_started_is_not_lost(
    exchange: str,
) -> None:
    from shared.messaging.contracts.users import UserUpserted
    from shared.messaging.topology import SUBSCRIPTIONS

    assert "user.upserted" in SUBSCRIPTIONS["points"]
    producer = Broker(AMQP_URL, exchange)
    await producer.connect()  # declares every subscriber's queue
    event = UserUpserted(user_id="u-1", role="resident", display_name="马秀英")
    await producer.publish_event(event)
    seen: list[str] = []

    async def record(e: Event, d: Delivery) -> None:
        seen.append(e.event_id)

    consumer_broker = Broker(AMQP_URL, exchange)
    await consumer_broker.connect()
    consumer = Consumer(consumer_broker, "points", SUBSCRIPTIONS["points"], record)
    await consumer.start()

    async def arrived() -> bool:
        return len(seen) == 1

    await eventually(arrived)
    assert seen == [event.event_id]
    await consumer.stop()
    await consumer_broker.close()
    await producer.close()


async def test_batches_commit_many_deliveries_at_once_and_a_failed_batch_falls_back_to_one_by_one(
    probe: Probe, exchange: str
) -> None:
    async def apply_batch(items: Sequence[tuple[Event, Delivery]]) -> None:
        async with transaction(probe.factory) as session:
            for event, delivery in items:
                assert isinstance(event, PointsAwarded)
                if event.entry_id == "e13":
                    raise RuntimeError("this one fails inside a batch")
                if await claim_message(session, probe.inbox, "probe", delivery.message_id):
                    await session.execute(
                        probe.ledger.insert().values(account=event.account_id, amount=event.amount)
                    )

    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    consumer = Consumer(
        broker,
        "probe",
        ["points.*"],
        lambda e, d: apply_once(probe, e, d),
        batch_handler=apply_batch,
    )
    await consumer.start()
    publisher = Broker(AMQP_URL, exchange)
    await publisher.connect()
    events = [award(n) for n in range(40)]
    # all at once, two of them twice: they arrive faster than one by one could apply them
    await asyncio.gather(*(publisher.publish_event(e) for e in [*events, events[5], events[6]]))

    async def all_applied() -> bool:
        return consumer.handled == 42

    await eventually(all_applied)
    # every award once (the failing batch rolled back whole, then each message went alone)
    assert await ledger_total(probe) == (40, 400)
    assert consumer._batcher is not None and 1 <= consumer._batcher.batches < 42
    await consumer.stop()
    await broker.close()
    await publisher.close()
