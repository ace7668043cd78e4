"""Door-to-door visits on the supervisors' stuck board, beside the disputes, through the portal
only (pages and /api/v1/supervision/...), on the real Temporal server: a visit whose activity
keeps failing shows as technically stuck; the officer may not repair it; the chief retries it
once the cause is fixed (the officer gets the task), then terminates it with a confirmed reason
(the task closes); another, ended behind the system's back, is closed by the board's reconcile
button. Each repair is in the portal's audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from services.portal.models import AuditEntry
from tests.appointments.test_home_visit_board import BreakableStore
from tests.helpers import poll
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import Stack
from workflows.home_visits.activities import HttpVisitStore
from workflows.home_visits.worker import build_worker

OFFICER = ACCOUNTS["officer"].user_id


@pytest.fixture
async def visits(full_stack: Stack) -> AsyncIterator[BreakableStore]:
    """A door-to-door worker on the appointments app's queue whose records fail while broken."""
    clients = full_stack.portal.clients
    store = BreakableStore(
        HttpVisitStore(clients.appointments, full_stack.portal.settings.internal_token)
    )
    worker = build_worker(full_stack.env.client, f"{full_stack.task_queue}-visits", store)
    async with worker:
        yield store


async def visit_rows(chief: Any, visit_id: str) -> list[dict[str, Any]]:
    r = await chief.get("/api/v1/supervision/stuck")
    assert r.status_code == 200, r.text
    return [v for v in r.json()["home_visits"] if v["visit_id"] == visit_id]


async def portal_audit(stack: Stack) -> list[tuple[str, str | None]]:
    async with stack.portal.runtime.factory() as s:
        rows = await s.execute(
            select(AuditEntry.action, AuditEntry.subject).order_by(AuditEntry.id)
        )
        return [(a, subj) for a, subj in rows if a.startswith("home_visit.")]


async def officer_task_refs(stack: Stack) -> list[str]:
    officer = await stack.api("officer")
    return [t["ref_id"] for t in (await officer.get("/api/v1/tasks")).json()["items"]]


async def test_a_stuck_home_visit_is_on_the_board_and_the_chief_repairs_it(
    full_stack: Stack, visits: BreakableStore
) -> None:
    stack = full_stack
    resident = await stack.api("resident")
    r = await resident.post(
        "/api/v1/home-visits", json={"service_code": "hukou", "reason": "elderly"}
    )
    assert r.status_code in (200, 201), r.text
    vid = r.json()["id"]
    chief = await stack.api("station_chief")
    [row] = await poll(lambda: visit_rows(chief, vid), lambda rows: len(rows) == 1, timeout=30)
    assert (row["kind"], row["code"], row["activity"]) == (
        "technical",
        "activity",
        "home_visit_record",
    )
    assert row["last_failure"] == "the appointments database is unreachable"

    page = await stack.portal.login("station_chief")
    board = await page.get("/supervision/stuck")
    assert board.status_code == 200
    assert f'data-visit="{vid}"' in board.text
    assert "the appointments database is unreachable" in board.text

    officer = await stack.api("officer")
    url = f"/api/v1/supervision/home-visits/{vid}"
    assert (await officer.post(f"{url}/retry", json={"reason": "x"})).status_code == 403

    failed = visits.failures
    r = await stack.portal.post_form(page, f"/supervision/home-visits/{vid}/retry", {})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/supervision/stuck?done=visit-retry"

    async def failures() -> int:
        return visits.failures

    await poll(failures, lambda n: n > failed, timeout=5)  # retried at once, not after back-off
    visits.broken = False  # the cause is fixed: the next attempt (counted anew) goes through
    await poll(lambda: officer_task_refs(stack), lambda refs: vid in refs, timeout=15)
    assert await visit_rows(chief, vid) == []

    r = await stack.portal.post_form(
        page, f"/supervision/home-visits/{vid}/terminate", {"reason": "居民已入院"}
    )
    assert r.status_code == 422, "a terminate is confirmed on the page"
    r = await chief.post(f"{url}/terminate", json={"reason": "居民已入院", "confirm": False})
    assert r.status_code == 422 and "confirm" in r.text
    r = await chief.post(f"{url}/terminate", json={"reason": "居民已入院", "confirm": True})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert vid not in await officer_task_refs(stack), "the officer's task closed with the row"
    r = await chief.post(f"{url}/retry", json={"reason": "again"})
    assert r.status_code == 409 and "not running" in r.text
    assert await portal_audit(stack) == [("home_visit.retry", vid), ("home_visit.terminate", vid)]

    # a visit ended behind the system's back: the board's reconcile button closes its row
    r = await resident.post(
        "/api/v1/home-visits", json={"service_code": "hukou", "reason": "elderly"}
    )
    assert r.status_code in (200, 201), r.text
    other = r.json()["id"]
    await poll(lambda: officer_task_refs(stack), lambda refs: other in refs, timeout=15)
    await stack.env.client.get_workflow_handle(f"home-visit-{other}").terminate(reason="operator")
    assert other in await officer_task_refs(stack), "the drift"
    r = await stack.portal.post_form(page, "/supervision/reconcile", {})
    assert r.status_code == 303 and r.headers["location"] == "/supervision/stuck?done=reconcile-1"
    assert other not in await officer_task_refs(stack), "the officer's task closed with the row"
    r = await chief.post("/api/v1/supervision/reconcile")
    assert r.status_code == 200 and r.json()["home_visits"]["repaired"] == []
