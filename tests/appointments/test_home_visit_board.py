"""Door-to-door visits on the stuck board, over the real Temporal server: a visit whose activity
keeps failing is flagged and listed with its figures; the chief retries it once the cause is
fixed and the officer gets the task; a visit that cannot go on is terminated with a reason and
its row and task close. An overdue visit is listed by its own deadline. A visit whose desk
record is missing (restored from an older backup) is on the board too and is terminated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from services.appointments import supervision
from services.appointments.api import create_app
from services.appointments.models import Audit
from shared.config import AppointmentsSettings
from shared.temporal import home_visit_workflow_id
from tests.appointments.conftest import JIANGHE, STATION, DeskDb, make_desk, tx
from tests.helpers import poll
from workflows.home_visits.activities import HttpVisitStore
from workflows.home_visits.client import start_visit
from workflows.home_visits.types import Assignment, VisitChange, VisitInput
from workflows.home_visits.worker import build_worker

TOKEN = "hv-board-token"
H = {"X-Fengqiao-Internal": TOKEN}
OFFICER, CHIEF = "off-0001", "chief-SYZ01"
BOARD = "/internal/v1/supervision/home-visits"


class BreakableStore:
    """The real store; while `broken` recording a transition fails (its database is down)."""

    def __init__(self, inner: HttpVisitStore) -> None:
        self.inner, self.broken, self.applied, self.failures = inner, True, 0, 0

    async def apply(self, change: VisitChange) -> None:
        if self.broken:
            self.failures += 1
            raise RuntimeError("the appointments database is unreachable")
        self.applied += 1
        await self.inner.apply(change)

    async def assignment(self, village_code: str | None) -> Assignment:
        return await self.inner.assignment(village_code)


@dataclass
class Stack:
    http: httpx.AsyncClient
    desk: DeskDb
    store: BreakableStore
    env: WorkflowEnvironment


@pytest.fixture
async def stack(
    sqlite_url: object, temporal_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[Stack]:
    url = sqlite_url("hvboard")  # type: ignore[operator]
    desk = await make_desk(url, task_queue=task_queue)
    settings = AppointmentsSettings(
        database_url=url,
        internal_token=TOKEN,
        run_jobs=False,
        task_queue=task_queue,
        amqp_url="amqp://guest:guest@127.0.0.1:1/",  # events stay in the outbox here
    )
    app = create_app(settings, temporal=temporal_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://appointments") as c:
            store = BreakableStore(HttpVisitStore(c, TOKEN))
            async with build_worker(temporal_env.client, task_queue, store):
                yield Stack(c, desk, store, temporal_env)
    await desk.factory.kw["bind"].dispose()


async def request(s: Stack, service_code: str = "hukou") -> str:
    r = await s.http.post(
        "/internal/v1/home-visits",
        json={
            "resident_id": "res-demo-0001",
            "village_code": JIANGHE,
            "service_code": service_code,
            "reason": "elderly",
        },
        headers=H,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def board_rows(s: Stack, vid: str) -> list[dict[str, object]]:
    r = await s.http.get(BOARD, params={"station": STATION}, headers=H)
    assert r.status_code == 200, r.text
    return [i for i in r.json()["items"] if i["visit_id"] == vid]


async def officer_tasks(s: Stack) -> list[object]:
    page = await s.http.get(
        "/internal/v1/tasks", params={"assignee": OFFICER, "kind": "home_visit"}, headers=H
    )
    return [t["ref_id"] for t in page.json()["items"]]


async def repair(s: Stack, vid: str, name: str, reason: str) -> httpx.Response:
    return await s.http.post(
        f"{BOARD}/{vid}/{name}", json={"actor_id": CHIEF, "reason": reason}, headers=H
    )


async def audits(s: Stack, vid: str) -> list[str]:
    async with s.desk.factory() as session:
        rows = await session.scalars(
            select(Audit.action).where(Audit.entity_id == vid).order_by(Audit.id)
        )
        return list(rows.all())


async def test_a_failing_visit_is_on_the_board_and_the_chief_repairs_it(stack: Stack) -> None:
    s = stack
    vid = await request(s)
    [row] = await poll(lambda: board_rows(s, vid), lambda rows: len(rows) == 1, timeout=30)
    assert (row["kind"], row["code"], row["activity"]) == (
        "technical",
        "activity",
        "home_visit_record",
    )
    assert int(str(row["attempts"])) >= 3
    assert row["last_failure"] == "the appointments database is unreachable"
    assert row["station_code"] == STATION and row["assignee_id"] == OFFICER
    assert await officer_tasks(s) == [], "the assignment was never recorded"

    r = await repair(s, vid, "retry", "")
    assert r.status_code == 422 and "reason" in r.text
    s.store.broken = False  # the database is back
    r = await repair(s, vid, "retry", "数据库已恢复，立即重试")
    assert r.status_code == 200, r.text
    assert r.json()["activities_reset"] == 1
    await poll(lambda: officer_tasks(s), lambda refs: refs == [vid], timeout=10)
    assert await board_rows(s, vid) == []
    assert s.store.applied == 1, "the assignment was recorded once"

    # past its scheduling deadline, the same visit is overdue for the business
    visit = (await s.http.get(f"/internal/v1/home-visits/{vid}", headers=H)).json()
    assert visit["status"] == "assigned"
    later = (await s.env.get_current_time()) + timedelta(hours=49)
    [late] = await tx(s.desk, supervision.overdue, station=STATION, now=later)
    assert (late.visit_id, late.code, late.stage, late.assignee_id) == (
        vid,
        "overdue",
        "assigned",
        OFFICER,
    )
    assert await tx(s.desk, supervision.overdue, station="SXX99", now=later) == []

    r = await repair(s, vid, "terminate", "居民已搬离，无法上门")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert await officer_tasks(s) == [], "the officer's task closed with the row"
    desc = await s.env.client.get_workflow_handle(home_visit_workflow_id(vid)).describe()
    assert desc.status == WorkflowExecutionStatus.TERMINATED
    assert await audits(s, vid) == ["requested", "retry", "assigned", "terminated"]
    again = await repair(s, vid, "terminate", "again")
    assert again.status_code == 409
    assert again.json()["reason"] == "the visit's workflow is not running"
    missing = await repair(s, "HNOSUCH", "retry", "x")
    assert missing.status_code == 404


async def test_a_visit_the_desk_has_no_record_of_is_on_the_board_and_is_terminated(
    stack: Stack, task_queue: str
) -> None:
    s = stack
    s.store.broken = False  # the desk answers: it has no such visit
    vid = "HLOST00001"
    visit = VisitInput(
        visit_id=vid, resident_id="res-demo-0001", service_code="hukou", village_code=JIANGHE
    )
    await start_visit(s.env.client, visit, task_queue=task_queue)
    # the row can be listed before Temporal holds the activity's first failure (a busy machine)
    [row] = await poll(
        lambda: board_rows(s, vid),
        lambda rows: len(rows) == 1 and rows[0]["last_failure"] != "no failure recorded",
        timeout=30,
    )
    assert (row["kind"], row["activity"], row["station_code"]) == (
        "technical",
        "home_visit_record",
        STATION,
    )
    assert row["last_failure"] == f"the desk has no record of visit {vid}"
    r = await repair(s, vid, "retry", "再试一次")
    assert (r.status_code, r.json()["activities_reset"]) == (200, 1)
    r = await repair(s, vid, "terminate", "台账中没有这次上门，已电话核实")
    assert r.json() == {"visit_id": vid, "status": "terminated"}
    desc = await s.env.client.get_workflow_handle(home_visit_workflow_id(vid)).describe()
    assert desc.status == WorkflowExecutionStatus.TERMINATED
    assert await audits(s, vid) == ["retry", "terminated"]
    assert await board_rows(s, vid) == []


def visit_repairs(metrics: str, kind: str) -> float:
    line = f'fq_home_visit_repairs_total{{kind="{kind}"}}'
    found = [ln for ln in metrics.splitlines() if ln.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


async def test_a_visit_terminated_behind_our_back_is_closed_by_reconciliation(
    stack: Stack,
) -> None:
    s = stack
    s.store.broken = False
    vid = await request(s)
    await poll(lambda: officer_tasks(s), lambda refs: refs == [vid], timeout=15)
    before = visit_repairs((await s.http.get("/metrics", headers=H)).text, "terminated")
    await s.env.client.get_workflow_handle(home_visit_workflow_id(vid)).terminate(
        reason="an operator's mistake"
    )
    assert await officer_tasks(s) == [vid], "the drift: the row is still open"

    r = await s.http.post(f"{BOARD}/reconcile", json={"actor_id": CHIEF}, headers=H)
    assert r.status_code == 200, r.text
    assert [x for x in r.json()["repaired"] if x["visit_id"] == vid] == [
        {"visit_id": vid, "kind": "terminated", "status": "cancelled"}
    ]
    visit = (await s.http.get(f"/internal/v1/home-visits/{vid}", headers=H)).json()
    assert visit["status"] == "cancelled"
    assert await officer_tasks(s) == [], "the officer's task closed with the row"
    after = visit_repairs((await s.http.get("/metrics", headers=H)).text, "terminated")
    assert after == before + 1
    r = await s.http.post(f"{BOARD}/reconcile", json={"actor_id": CHIEF}, headers=H)
    assert vid not in [x["visit_id"] for x in r.json()["repaired"]], "nothing left to repair"
    assert await audits(s, vid) == ["requested", "assigned", "reconciled"]
    bad = await s.http.post(f"{BOARD}/reconcile", json={}, headers=H)
    assert bad.status_code == 422 and "actor_id" in bad.text
