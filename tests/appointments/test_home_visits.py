"""Door-to-door through the service: request -> workflow -> the officer's task list, actions
refused with 409 and a reason, events in the outbox, escalation visible to the station chief."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from services.appointments.api import create_app
from shared.config import AppointmentsSettings
from tests.appointments.conftest import JIANGHE, STATION, DeskDb, events, make_desk
from tests.conftest import time_skipping_env
from tests.helpers import eventually
from workflows.home_visits.activities import HttpVisitStore
from workflows.home_visits.worker import build_worker

TOKEN = "hv-token"
H = {"X-Fengqiao-Internal": TOKEN}
OFFICER, CHIEF = "off-0001", "chief-SYZ01"


@pytest.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """Days are skipped here: a time-skipping server of this module's own."""
    async for env in time_skipping_env():
        yield env


@pytest.fixture
async def stack(
    sqlite_url: object, time_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[tuple[httpx.AsyncClient, DeskDb]]:
    url = sqlite_url("hv")  # type: ignore[operator]
    desk = await make_desk(url, task_queue=task_queue)
    settings = AppointmentsSettings(
        database_url=url,
        internal_token=TOKEN,
        run_jobs=False,
        task_queue=task_queue,
        amqp_url="amqp://guest:guest@127.0.0.1:1/",  # events stay in the outbox here
    )
    app = create_app(settings, temporal=time_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://appointments") as c:
            worker = build_worker(time_env.client, task_queue, HttpVisitStore(c, TOKEN))
            async with worker:
                yield c, desk
    await desk.factory.kw["bind"].dispose()


async def wait_task(c: httpx.AsyncClient, **params: str) -> dict[str, object]:
    async def first() -> dict[str, object] | None:
        page = (await c.get("/internal/v1/tasks", params=params, headers=H)).json()
        return dict(page["items"][0]) if page["items"] else None

    return await eventually(first, 10, f"no task for {params}")


async def test_door_to_door_request_reaches_the_village_officer_and_escalates(
    stack: tuple[httpx.AsyncClient, DeskDb], time_env: WorkflowEnvironment
) -> None:
    c, desk = stack
    r = await c.post(
        "/internal/v1/home-visits",
        json={
            "resident_id": "res-demo-0001",
            "village_code": JIANGHE,
            "service_code": "hukou",
            "reason": "elderly",
            "address": "蒋河村三组",
            "phone": "13900000001",
        },
        headers=H,
    )
    assert r.status_code == 201
    vid = r.json()["id"]
    again = await c.post(
        "/internal/v1/home-visits",
        json={
            "resident_id": "res-demo-0001",
            "village_code": JIANGHE,
            "service_code": "hukou",
            "reason": "elderly",
        },
        headers=H,
    )
    assert again.status_code == 409
    task = await wait_task(c, assignee=OFFICER, kind="home_visit")
    assert (task["ref_id"], task["station_code"], task["overdue"]) == (vid, STATION, False)
    refused = await c.post(
        f"/internal/v1/home-visits/{vid}/actions",
        json={"actor_id": OFFICER, "action": "done"},
        headers=H,
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "the visit is assigned; schedule it before marking it done"
    await time_env.sleep(timedelta(hours=49))
    escalated = await wait_task(c, assignee=CHIEF)
    assert escalated["ref_id"] == vid
    when = (await time_env.get_current_time()) + timedelta(hours=4)
    ok = await c.post(
        f"/internal/v1/home-visits/{vid}/actions",
        json={"actor_id": CHIEF, "action": "schedule", "scheduled_at": when.isoformat()},
        headers=H,
    )
    assert ok.status_code == 200 and ok.json()["stage"] == "scheduled"
    done = await c.post(
        f"/internal/v1/home-visits/{vid}/actions",
        json={"actor_id": CHIEF, "action": "done", "reason": "已办结"},
        headers=H,
    )
    assert done.json()["stage"] == "done"
    for _ in range(100):
        if (await c.get(f"/internal/v1/home-visits/{vid}", headers=H)).json()["status"] == "done":
            break
        await asyncio.sleep(0.05)
    keys = [
        e["routing_key"] for e in await events(desk) if str(e["routing_key"]).startswith("home")
    ]
    assert keys == [
        "home_visit.requested",
        "home_visit.assigned",
        "home_visit.escalated",
        "home_visit.scheduled",
        "home_visit.done",
    ]
    assert {e["resident_id"] for e in await events(desk)} == {"res-demo-0001"}
    assert (await c.get("/internal/v1/tasks", params={"kind": "home_visit"}, headers=H)).json()[
        "items"
    ] == []
