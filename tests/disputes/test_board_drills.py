"""Drills through the board on the real Temporal server: the disputes database unreachable (the
board and a board action answer a clear 503 with the reason at once, through the service and
the portal), and a killed worker (the board says "no worker is polling the task queue", the
case shows on it once its deadline passes; a board action answers within its deadline; asked
again after the worker is back, it acts once).
A hang fails the drill: every request is bounded by `asyncio.wait_for`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from services.disputes import board
from services.disputes.api import create_app
from services.disputes.seed import seed_directory
from shared.config import DisputesSettings
from shared.db import make_engine, make_session_factory
from shared.errors import db_unreachable
from tests.conftest import AMQP_URL, WORKER_STALE_SECONDS
from tests.disputes.conftest import TOKEN, Service
from tests.disputes.drills import breakable_worker
from tests.helpers import poll
from tests.portal.conftest import PortalFactory, portal_factory
from tests.workflows.disputes.conftest import CHIEF, VILLAGE, intake
from workflows.disputes import client as dc

__all__ = ["portal_factory"]  # the portal harness, for the drill through the portal
HANG = 20  # seconds: far beyond any deadline of the request path


async def bounded(call: Any) -> httpx.Response:
    response: httpx.Response = await asyncio.wait_for(call, HANG)
    return response


@pytest.fixture
async def db_down(
    temporal_env: WorkflowEnvironment, exchange: str, task_queue: str, pg_url: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The disputes service, started on its PostgreSQL, then pointed at a database host that
    refuses every connection (as after a failover to a dead address)."""
    settings = DisputesSettings(
        database_url=pg_url(),
        exchange=exchange,
        amqp_url=AMQP_URL,
        internal_token=TOKEN,
        task_queue=task_queue,
        relay_interval_seconds=0.1,
    )
    app = create_app(settings, temporal=temporal_env.client)
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        await seed_directory(rt.factory)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://disputes", headers={"X-Fengqiao-Internal": TOKEN}
        ) as http:
            ok = await http.get("/internal/v1/stuck", params={"station": VILLAGE.station_code})
            assert ok.status_code == 200, "the service works before the cut"
            good = rt.factory
            dead = make_engine("postgresql://postgres@127.0.0.1:1/fq_nowhere")
            rt.factory = make_session_factory(dead)
            try:
                yield app, http
            finally:
                rt.factory = good
                await dead.dispose()


async def test_disputes_database_unreachable_answers_503_with_the_reason(
    db_down: tuple[Any, httpx.AsyncClient],
) -> None:
    _, http = db_down
    r = await bounded(http.get("/internal/v1/stuck", params={"station": VILLAGE.station_code}))
    assert r.status_code == 503
    assert r.json()["reason"] == db_unreachable("disputes") and r.headers["retry-after"] == "5"
    r = await bounded(http.get("/internal/v1/cases/nosuchcase"))
    assert r.status_code == 503 and r.json()["reason"] == db_unreachable("disputes")


@pytest.mark.soak  # the portal harness's setup is most of it: ~25 s
async def test_disputes_database_unreachable_through_the_portal_board(
    db_down: tuple[Any, httpx.AsyncClient], portal_factory: PortalFactory
) -> None:
    app, _ = db_down
    async with portal_factory(backends={"disputes": app}) as portal:
        chief = await portal.api("station_chief")
        r = await bounded(chief.get("/api/v1/supervision/stuck"))
        assert r.status_code == 503
        assert r.json()["detail"] == "the disputes database is unreachable; try again shortly"
        r = await bounded(
            chief.post(
                "/api/v1/supervision/cases/somecase/terminate",
                json={"reason": "数据库故障演练", "confirm": True},
            )
        )
        assert r.status_code == 503 and "the disputes database is unreachable" in r.text
        page = await portal.login("station_chief")
        r = await bounded(page.get("/supervision/stuck"))
        assert r.status_code == 503


def cancel_body(key: str) -> dict[str, Any]:
    return {
        "actor": CHIEF.model_dump(mode="json"),
        "idempotency_key": key,
        "payload": {"reason": "演练：工作进程被杀"},
    }


async def test_killed_worker_case_is_on_the_board_and_an_action_answers(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    queue = f"tq-kill-{uuid.uuid4().hex[:8]}"

    async def workers() -> tuple[bool, str | None]:
        r = await svc.http.get("/internal/v1/stuck", params={"station": VILLAGE.station_code})
        w = r.json()["workers"]
        return w["polled"], w["why"]

    async with breakable_worker(client, svc, queue):
        case_id = await dc.start_case(client, intake(), task_queue=queue)
        handle = client.get_workflow_handle(f"dispute-{case_id}")

        async def row() -> Any:
            r = await svc.http.get(f"/internal/v1/cases/{case_id}")
            return r.json() if r.status_code == 200 else None

        v = await poll(row, lambda c: c and c["assignee_id"] and c["stage_deadline"])
        # the board watches the queue this case runs on (idle polls return every 5 s here)
        served = svc.app.state.settings
        svc.app.state.settings = served.model_copy(
            update={"task_queue": queue, "worker_stale_seconds": WORKER_STALE_SECONDS}
        )
        assert (await workers()) == (True, None), "a worker polls the queue"
    # the worker is gone: nothing moves the case on
    try:
        deadline = v["stage_deadline"]
        async with svc.runtime.factory() as s:
            rows = await board.business_stuck(
                s,
                now=datetime.fromisoformat(deadline) + timedelta(minutes=1),
                station=VILLAGE.station_code,
                idle=timedelta(days=30),
            )
        assert case_id in [r.case_id for r in rows], "past its deadline, the case is on the board"

        key = uuid.uuid4().hex
        url = f"/internal/v1/cases/{case_id}/actions/cancel"
        r = await bounded(svc.http.post(url, json=cancel_body(key)))
        assert r.status_code == 503, r.text
        assert r.json()["detail"].startswith("the case is busy")
        assert r.headers["retry-after"] == "5"
        # the board says why under its own label, not only as lateness
        no_worker = (False, f"no worker is polling the task queue {queue}")
        assert await poll(workers, lambda w: w == no_worker, timeout=20) == no_worker
        svc.app.state.settings = served

        async with breakable_worker(client, svc, queue):  # the worker is back
            r = await bounded(svc.http.post(url, json=cancel_body(key)))
            assert r.status_code == 200, r.text
            assert r.json()["stage"] == "cancelled"
            case = await poll(row, lambda c: c and c["stage"] == "cancelled")
            kinds = [e["kind"] for e in case["timeline"]]
            assert kinds.count("cancelled") == 1, "asked twice, applied once"
    finally:
        desc = await handle.describe()
        if desc.status is not None and desc.status.name == "RUNNING":
            await handle.terminate()
