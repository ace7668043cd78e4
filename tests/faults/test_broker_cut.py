"""The broker connection of the real points and notifications processes is cut (TCP proxy) for
30 s while 1,000 dispute closures flow: afterwards every helper's points and every notification
are there exactly once, and both processes reconnected by themselves."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.models import Delivery
from services.points.models import Account, Entry
from services.points.models import outbox as points_outbox
from shared.messaging.broker import Broker
from shared.messaging.contracts.disputes import DisputeClosed
from tests.conftest import AMQP_URL
from tests.faults.procs import (
    ServiceProcess,
    count,
    health,
    ports,
    service_env,
    sqlite_factory,
    wait_healthy,
)
from tests.helpers import eventually
from tests.proxy import TcpProxy

EVENTS = 1000
CUT_SECONDS = 30
HELPERS = 40
MEDIATION_HELP = 10  # services/points/rules.yaml
log = logging.getLogger("fengqiao.tests.faults")


def closure(i: int) -> DisputeClosed:
    return DisputeClosed(
        case_id=f"case-cut-{i:04d}",
        case_no=f"FQ2026-C{i:04d}",
        colour="green",
        stage="closed",
        village_code="VYZ0101",
        station_code="SYZ01",
        assignee_id="off-0001",
        settlement="mediation agreement",
        helper_ids=[f"res-helper-{i % HELPERS:02d}"],
    )


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    p = TcpProxy("127.0.0.1", 5672)
    await p.start()
    yield p
    await p.close()


@pytest.mark.soak
@pytest.mark.timeout(300)
async def test_consumers_reconnect_and_apply_every_event_once_after_a_30s_cut(
    tmp_path: Path, exchange: str, proxy: TcpProxy
) -> None:
    port = ports("points", "notifications")
    env = service_env(
        tmp_path,
        exchange,
        proxy.url(),
        FQ_POINTS_RELAY_INTERVAL_SECONDS="0.2",
        FQ_NOTIFICATIONS_RELAY_INTERVAL_SECONDS="0.2",
        **port,
    )
    procs = [
        ServiceProcess(f"services.{name}", env, tmp_path / f"{name}.log")
        for name in ("points", "notifications")
    ]
    publisher = Broker(AMQP_URL, exchange)
    try:
        for p in procs:
            p.start()
        await wait_healthy(port["FQ_POINTS_PORT"])
        await wait_healthy(port["FQ_NOTIFICATIONS_PORT"])
        points = sqlite_factory(tmp_path / "points.db")
        notes = sqlite_factory(tmp_path / "notifications.db")
        await publisher.connect()

        async def publish_all() -> None:
            for i in range(EVENTS):
                await publisher.publish_event(closure(i))
                await asyncio.sleep(0.02)  # ~40 s of steady traffic around the cut

        flow = asyncio.create_task(publish_all())
        await eventually(
            lambda: _at_least(points, 100), 60, "nothing applied before the cut", interval=0.5
        )
        proxy.cut()
        cut_at = time.monotonic()
        await asyncio.sleep(2)  # a handler mid-transaction at the cut may still commit
        applied_at_cut = await count(points, Entry)
        await asyncio.sleep(CUT_SECONDS - 2)
        assert not (await health(port["FQ_POINTS_PORT"])).get("ok")
        applied_during_cut = await count(points, Entry) - applied_at_cut
        proxy.restore()
        await flow
        await eventually(
            lambda: _at_least(points, EVENTS),
            120,
            "points did not catch up after the cut",
            interval=0.5,
        )
        caught_up = time.monotonic() - cut_at - CUT_SECONDS

        async def notifications_done() -> bool:
            return await count(notes, Delivery) >= 3 * EVENTS

        await eventually(notifications_done, 120, "notifications did not catch up", interval=0.5)
        await asyncio.sleep(2)  # anything applied twice would show up now

        log.info(
            "cut at %d applied, %d during the cut, caught up %.1fs after restore",
            applied_at_cut,
            applied_during_cut,
            caught_up,
        )
        assert applied_during_cut == 0
        assert await count(points, Entry) == EVENTS
        async with points() as s:
            balances = dict((await s.execute(select(Account.id, Account.balance))).all())
            total = (await s.execute(select(func.sum(Entry.amount)))).scalar_one()
        assert total == EVENTS * MEDIATION_HELP
        assert balances == {
            f"res-helper-{h:02d}": MEDIATION_HELP * EVENTS // HELPERS for h in range(HELPERS)
        }
        assert await count(points, points_outbox) == EVENTS
        assert await count(points, points_outbox, points_outbox.c.published_at.is_(None)) == 0
        async with notes() as s:
            rows = (await s.execute(select(Delivery.routing_key, Delivery.channel))).all()
        # closure: the helper and the assignee, in their inbox; points.awarded: the helper's
        # inbox (no SMS: the helpers have no phone on record)
        assert Counter(rows) == {
            ("dispute.closed", "inbox"): 2 * EVENTS,
            ("points.awarded", "inbox"): EVENTS,
        }
        for svc_port in port.values():
            assert (await health(svc_port))["ok"] is True  # reconnected without a restart
        assert all(p.proc is not None and p.proc.poll() is None for p in procs)
        assert caught_up < 120
    finally:
        await publisher.close()
        for p in procs:
            p.stop()


async def _at_least(factory: async_sessionmaker[AsyncSession], n: int) -> bool:
    return await count(factory, Entry) >= n
