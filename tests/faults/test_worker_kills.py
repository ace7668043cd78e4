"""100 dispute cases run their lifecycles (intake → accept → follow-up → closure → return
visit) while the real worker process is SIGKILLed again and again and restarted; the disputes
service process relays the outbox. Every case finishes, and the tasks, timeline rows, outbox
rows and the events on the broker (by message id) are exactly what 100 lifecycles make."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from services.disputes.models import Task, TimelineEntry, outbox
from shared.temporal import dispute_workflow_id
from tests.conftest import AMQP_URL
from tests.faults.procs import ServiceProcess, count, ports, service_env
from tests.faults.test_kill_service import drain
from tests.helpers import eventually
from tests.workflows.disputes.conftest import Harness, intake, make_dispute_db, officer
from workflows.disputes.config import LIFECYCLE_FILE
from workflows.disputes.types import CaseView

CASES = 100
log = logging.getLogger("fengqiao.tests.faults")
KILLS = 5
EVENTS_PER_CASE = {
    "dispute.reported": 1,
    "dispute.screened": 1,
    "dispute.assigned": 1,
    "dispute.accepted": 1,
    "dispute.follow_up_recorded": 1,
    "dispute.closure_proposed": 1,
    "dispute.closed": 1,
    "dispute.return_visit_due": 1,
    "dispute.return_visited": 1,
}


async def persist(step: Callable[[], Awaitable[Any]], timeout: float = 240) -> Any:
    """What the phone does: the same request (same idempotency key) until it is answered."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await asyncio.wait_for(step(), 20)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def view_until(
    h: Harness, case_id: str, pred: Callable[[CaseView], bool], timeout: float = 240
) -> CaseView:
    """Queries time out while no worker runs: ask again until the case gets there."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = await asyncio.wait_for(h.view(case_id), 20)
            if pred(v):
                return v
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"case {case_id} never got there")
        await asyncio.sleep(0.5)


async def lifecycle(h: Harness, i: int) -> CaseView:
    # not retried: a second start would be a second case (the server needs no worker for it)
    case_id = await h.start(intake(households=[f"hh-{i}-a", f"hh-{i}-b"]))
    v = await view_until(h, case_id, lambda v: bool(v.assignee_id))
    assert v.assignee_id is not None
    me = officer(v.assignee_id)
    await persist(lambda: h.act(case_id, "accept", me, key=f"a{i}"))
    await persist(
        lambda: h.act(
            case_id, "follow-up", me, key=f"f{i}", done="调解", outcome="settled", helper_ids=[]
        )
    )
    await persist(
        lambda: h.act(
            case_id, "propose-closure", me, key=f"p{i}", settlement_kind="withdrawn", summary="撤回"
        )
    )
    await view_until(h, case_id, lambda v: len(v.open_tasks) == 1)
    await persist(lambda: h.act(case_id, "return-visit", me, key=f"r{i}", holds=True))
    handle = h.client.get_workflow_handle(dispute_workflow_id(case_id), result_type=CaseView)
    result: CaseView = await persist(handle.result)
    return result


@pytest.mark.soak
@pytest.mark.timeout(900)
async def test_100_cases_finish_exactly_once_while_the_worker_is_killed(
    temporal_env: WorkflowEnvironment, task_queue: str, exchange: str, tmp_path: Path
) -> None:
    lifecycle_file = tmp_path / "lifecycle.yaml"
    lifecycle_file.write_text(  # the return visit ~3 s after closure, in real time
        LIFECYCLE_FILE.read_text(encoding="utf-8").replace(
            "return_visit_after_days: 7", "return_visit_after_days: 0.00003"
        ),
        encoding="utf-8",
    )
    db = tmp_path / "disputes.db"
    port = ports("disputes")
    env = service_env(
        tmp_path,
        exchange,
        AMQP_URL,
        FQ_DISPUTES_DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        FQ_DISPUTES_TASK_QUEUE=task_queue,
        FQ_DISPUTES_LIFECYCLE_FILE=str(lifecycle_file),
        FQ_DISPUTES_RELAY_INTERVAL_SECONDS="0.2",
        TEMPORAL_ADDRESS=temporal_env.client.service_client.config.target_host,
        **port,
    )
    factory = await make_dispute_db(env["FQ_DISPUTES_DATABASE_URL"])
    worker = ServiceProcess("workflows.disputes.worker", env, tmp_path / "worker.log")
    relay = ServiceProcess("services.disputes", env, tmp_path / "disputes.log")
    connection = await aio_pika.connect(AMQP_URL)
    h = Harness(temporal_env.client, None, factory, task_queue)
    try:
        channel = await connection.channel()
        await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        probe = await channel.declare_queue(f"{exchange}.probe", durable=False)
        await probe.bind(exchange, "dispute.*")
        worker.start()
        relay.start()
        runs = asyncio.gather(*(lifecycle(h, i) for i in range(CASES)))
        kills = 0
        while not runs.done() and kills < KILLS:
            await asyncio.wait({runs}, timeout=4)
            if not runs.done():
                worker.kill()
                kills += 1
                await asyncio.sleep(1)
                worker.start()
        results = await runs

        assert kills >= 3  # the worker did die while cases ran
        assert [r.stage for r in results] == ["closed"] * CASES

        async def relayed() -> bool:
            return await count(factory, outbox, outbox.c.published_at.is_(None)) == 0

        await eventually(relayed, 60, "the outbox was not relayed", interval=0.5)
        received = await drain(probe)
        log.info(
            "%d cases closed; worker killed %d times; %d events on the wire, %d distinct",
            len(results),
            kills,
            len(received),
            len(set(received)),
        )
        assert await count(factory, TimelineEntry) == 9 * CASES
        assert await count(factory, Task) == 2 * CASES
        assert await count(factory, Task, Task.closed_at.is_(None)) == 0
        async with factory() as s:
            rows = (await s.execute(select(outbox.c.message_id, outbox.c.routing_key))).all()
        assert Counter(rk for _, rk in rows) == {k: n * CASES for k, n in EVENTS_PER_CASE.items()}
        assert Counter(received).keys() == {m for m, _ in rows}
    finally:
        worker.stop()
        relay.stop()
        await connection.close()
        await factory.kw["bind"].dispose()
