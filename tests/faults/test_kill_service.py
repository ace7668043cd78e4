"""The real points process is SIGKILLed twice while it applies a burst of dispute closures (each
one a ledger write and an outbox row in one transaction): after restarts every closure is
applied once, every committed event reaches the broker, and nothing uncommitted does."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path

import aio_pika
import pytest
from sqlalchemy import select

from services.points.models import Entry, inbox
from services.points.models import outbox as points_outbox
from shared.messaging.broker import Broker
from tests.conftest import AMQP_URL
from tests.faults.procs import (
    ServiceProcess,
    count,
    ports,
    service_env,
    sqlite_factory,
    wait_healthy,
)
from tests.faults.test_broker_cut import closure
from tests.helpers import eventually

EVENTS = 800
KILLS = 2
KILL_EVERY = 150  # applied closures between kills
log = logging.getLogger("fengqiao.tests.faults")


@pytest.mark.soak
@pytest.mark.timeout(300)
async def test_points_process_killed_mid_burst_loses_and_duplicates_nothing(
    tmp_path: Path, exchange: str
) -> None:
    port = ports("points")
    env = service_env(tmp_path, exchange, AMQP_URL, FQ_POINTS_RELAY_INTERVAL_SECONDS="0.1", **port)
    points = ServiceProcess("services.points", env, tmp_path / "points.log")
    publisher = Broker(AMQP_URL, exchange)
    await publisher.connect()
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        probe = await channel.declare_queue(f"{exchange}.probe", durable=False)
        await probe.bind(exchange, "points.*")
        points.start()
        await wait_healthy(port["FQ_POINTS_PORT"])
        factory = sqlite_factory(tmp_path / "points.db")
        for i in range(EVENTS):
            await publisher.publish_event(closure(i))

        applied_at_kill: list[int] = []
        for _ in range(KILLS):
            threshold = (applied_at_kill[-1] if applied_at_kill else 0) + KILL_EVERY

            async def reached(n: int = threshold) -> bool:
                return await count(factory, Entry) >= n

            await eventually(reached, 90, f"never applied {threshold}", interval=0.05)
            points.kill()
            applied_at_kill.append(await count(factory, Entry))
            points.start()
        await wait_healthy(port["FQ_POINTS_PORT"])

        async def all_out() -> bool:
            return await count(factory, Entry) >= EVENTS and (
                await count(factory, points_outbox, points_outbox.c.published_at.is_(None)) == 0
            )

        await eventually(
            all_out, 90, "the burst was not applied and published after restarts", interval=0.5
        )
        received = await drain(probe)

        assert all(a < EVENTS for a in applied_at_kill), applied_at_kill  # killed mid-burst
        assert await count(factory, Entry) == EVENTS
        assert await count(factory, inbox) == EVENTS
        async with factory() as s:
            keys = (await s.execute(select(Entry.idem_key))).scalars().all()
            committed = set((await s.execute(select(points_outbox.c.message_id))).scalars())
        assert len(set(keys)) == EVENTS
        assert len(committed) == EVENTS
        # at least once on the wire, by message id: consumers' inboxes make it once in effect
        assert set(received) == committed
        duplicates = sum(n - 1 for n in Counter(received).values())
        log.info(
            "killed at %s applied; %d on the wire, %d redelivered",
            applied_at_kill,
            len(received),
            duplicates,
        )
        assert duplicates <= KILLS * 200  # at most the relay's unmarked batch per kill
    finally:
        points.stop()
        await publisher.close()
        await connection.close()


async def drain(queue: aio_pika.abc.AbstractQueue, quiet: float = 2.0) -> list[str]:
    """Message ids in the queue until it stays empty for `quiet` seconds."""
    ids: list[str] = []
    idle = 0.0
    while idle < quiet:
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.1)
            idle += 0.1
            continue
        idle = 0.0
        assert message.message_id is not None
        ids.append(message.message_id)
    return ids
