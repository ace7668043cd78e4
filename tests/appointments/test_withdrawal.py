"""Residents withdraw an open online application or door-to-door request: the workflow cancels
the visit, the officer's task goes, both are told (events in the outbox); once the visit is
under way, or the application decided, the withdrawal is refused with the reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from services.appointments import applications
from services.appointments.errors import Conflict, Forbidden
from tests.appointments.conftest import JIANGHE, NOW, DeskDb, events, tx
from tests.appointments.test_home_visits import H, stack, time_env

OFFICER = "off-0001"
RESIDENT = "res-demo-0001"
__all__ = ["stack", "time_env"]  # the door-to-door tests' stack: service, worker, own server


async def _request(c: httpx.AsyncClient) -> str:
    body = {
        "resident_id": RESIDENT,
        "village_code": JIANGHE,
        "service_code": "hukou",
        "reason": "elderly",
    }
    r = await c.post("/internal/v1/home-visits", json=body, headers=H)
    assert r.status_code == 201
    return str(r.json()["id"])


async def _open_tasks(c: httpx.AsyncClient) -> list[str]:
    page = (
        await c.get(
            "/internal/v1/tasks", params={"assignee": OFFICER, "kind": "home_visit"}, headers=H
        )
    ).json()
    return [t["ref_id"] for t in page["items"]]


async def _until_assigned(c: httpx.AsyncClient, vid: str) -> None:
    for _ in range(200):
        r = await c.get(f"/internal/v1/home-visits/{vid}", headers=H)
        if r.json()["status"] == "assigned":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"visit {vid} never assigned")


async def test_withdrawn_visit_leaves_the_officers_list_and_both_are_told(
    stack: tuple[httpx.AsyncClient, DeskDb],
) -> None:
    c, desk = stack
    vid = await _request(c)
    await _until_assigned(c, vid)
    assert vid in await _open_tasks(c)
    other = await c.post(
        f"/internal/v1/home-visits/{vid}/withdraw", json={"resident_id": "res-other"}, headers=H
    )
    assert other.status_code == 403
    r = await c.post(
        f"/internal/v1/home-visits/{vid}/withdraw",
        json={"resident_id": RESIDENT, "reason": "家人已代办"},
        headers=H,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert vid not in await _open_tasks(c)
    cancelled = await events(desk, "home_visit.cancelled")
    assert [(e["visit_id"], e["officer_id"]) for e in cancelled] == [(vid, OFFICER)]
    assert cancelled[0]["reason"] == "withdrawn by the resident: 家人已代办"
    again = await c.post(
        f"/internal/v1/home-visits/{vid}/withdraw", json={"resident_id": RESIDENT}, headers=H
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "the visit is already cancelled and cannot be withdrawn"
    # the same service can be asked for again once the first request is withdrawn
    assert await _request(c) != vid


async def test_a_visit_under_way_cannot_be_withdrawn(
    stack: tuple[httpx.AsyncClient, DeskDb], time_env: WorkflowEnvironment
) -> None:
    c, _ = stack
    vid = await _request(c)
    await _until_assigned(c, vid)
    when = (await time_env.get_current_time()) + timedelta(minutes=30)
    ok = await c.post(
        f"/internal/v1/home-visits/{vid}/actions",
        json={"actor_id": OFFICER, "action": "schedule", "scheduled_at": when.isoformat()},
        headers=H,
    )
    assert ok.status_code == 200 and ok.json()["stage"] == "scheduled"
    refused = await c.post(
        f"/internal/v1/home-visits/{vid}/withdraw", json={"resident_id": RESIDENT}, headers=H
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "the visit is under way (the officer is on the way); call the police room"
    )
    assert vid in await _open_tasks(c)


async def test_application_withdrawn_until_decided(desk: DeskDb) -> None:
    a = await tx(
        desk,
        applications.submit,
        resident_id=RESIDENT,
        village_code=JIANGHE,
        service_code="no_record",
        documents=["居民身份证", "用途说明"],
        now=NOW,
    )
    assert a.assignee_id
    with pytest.raises(Forbidden, match="belongs to someone else"):
        await tx(desk, applications.withdraw, a.id, resident_id="res-other")
    done = await tx(desk, applications.withdraw, a.id, resident_id=RESIDENT, reason="不需要了")
    assert done.status == "withdrawn"
    page = await tx(desk, applications.tasks, assignee=a.assignee_id, now=NOW)
    assert a.id not in [t.ref_id for t in page.items]
    updated = await events(desk, "application.updated")
    assert [(e["status"], e["officer_id"]) for e in updated] == [("withdrawn", a.assignee_id)]
    with pytest.raises(Conflict, match="already withdrawn and cannot be withdrawn"):
        await tx(desk, applications.withdraw, a.id, resident_id=RESIDENT)
    b = await tx(
        desk,
        applications.submit,
        resident_id=RESIDENT,
        village_code=JIANGHE,
        service_code="no_record",
        documents=["居民身份证", "用途说明"],
        now=NOW,
    )
    await tx(desk, applications.decide, b.id, decision="approved", note="", actor_id=a.assignee_id)
    with pytest.raises(Conflict, match="already approved"):
        await tx(desk, applications.withdraw, b.id, resident_id=RESIDENT)
