"""One service process publishes through its outbox; another consumes it over the real broker,
exactly once in effect, also when the broker delivers the same message a second time."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.disputes.models import outbox as disputes_outbox
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.db import make_engine, make_session_factory, transaction
from shared.messaging.broker import Broker
from shared.messaging.contracts.disputes import DisputeClosed
from shared.messaging.outbox import add_event
from tests.conftest import AMQP_URL, REPO
from tests.helpers import eventually, free_ports

TOKEN = "cross-process-token"


def start(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def two_services(tmp_path: Path, exchange: str) -> Iterator[tuple[str, str, str]]:
    disputes_port, points_port = free_ports(2)
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(tmp_path),
        FQ_EXCHANGE=exchange,
        AMQP_URL=AMQP_URL,
        FQ_INTERNAL_TOKEN=TOKEN,
        FQ_DISPUTES_PORT=str(disputes_port),
        FQ_POINTS_PORT=str(points_port),
        FQ_DISPUTES_RELAY_INTERVAL_SECONDS="0.2",
    )
    procs = [
        start("services.disputes", env, tmp_path / "disputes.log"),
        start("services.points", env, tmp_path / "points.log"),
    ]
    try:
        yield (
            f"sqlite+aiosqlite:///{tmp_path / 'disputes.db'}",
            f"http://127.0.0.1:{disputes_port}",
            f"http://127.0.0.1:{points_port}",
        )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


async def wait_healthy(url: str) -> None:
    async with httpx.AsyncClient() as client:

        async def healthy() -> bool:
            try:
                return (await client.get(f"{url}/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(healthy, 60, f"{url} never became healthy", interval=0.5)


async def balance(points_url: str, account: str) -> tuple[int, int]:
    async with httpx.AsyncClient(headers={INTERNAL_TOKEN_HEADER: TOKEN}) as client:
        acc = await client.get(f"{points_url}/internal/v1/accounts/{account}")
        if acc.status_code == 404:
            return 0, 0
        hist = await client.get(f"{points_url}/internal/v1/accounts/{account}/history")
        return int(acc.json()["balance"]), len(hist.json()["entries"])


@pytest.mark.timeout(180)
async def test_outbox_event_of_one_process_is_applied_once_by_another(
    two_services: tuple[str, str, str], exchange: str
) -> None:
    disputes_db, disputes_url, points_url = two_services
    await wait_healthy(disputes_url)  # its migrations have run
    await wait_healthy(points_url)
    event = DisputeClosed(
        case_id="case-x1",
        case_no="FQ2026-X1",
        colour="green",
        stage="closed",
        village_code="VYZ0101",
        station_code="SYZ01",
        settlement="mediation agreement",
        helper_ids=["res-helper-1", "res-helper-2"],
    )
    # the change and its event commit together in the disputes database; the disputes
    # process's relay publishes it
    engine = make_engine(disputes_db)
    async with transaction(make_session_factory(engine)) as session:
        await add_event(session, disputes_outbox, event)
    await engine.dispose()
    for _ in range(120):
        if await balance(points_url, "res-helper-2") == (10, 1):
            break
        await asyncio.sleep(0.5)
    assert await balance(points_url, "res-helper-1") == (10, 1)
    assert await balance(points_url, "res-helper-2") == (10, 1)

    # the broker delivers the very same message again (same message id)
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    await broker.publish_event(event)
    await broker.publish_event(event)
    await broker.close()
    await asyncio.sleep(3)
    assert await balance(points_url, "res-helper-1") == (10, 1)
    assert await balance(points_url, "res-helper-2") == (10, 1)
