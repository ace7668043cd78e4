"""Staff pages of the appointments area: pre-check, online applications, kiosks, capacity,
figures, and a door-to-door visit scheduled and done from the officer's phone page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from services.appointments.api import create_app
from services.appointments.calendar import TZ
from shared.config import AppointmentsSettings
from tests.appointments.conftest import STATION, PortalHarness, make_desk
from tests.appointments.test_api import next_workday
from tests.conftest import AMQP_URL
from workflows.home_visits.activities import HttpVisitStore
from workflows.home_visits.worker import build_worker


@pytest.fixture
async def harness(
    portal_factory: object,
    sqlite_url: object,
    exchange: str,
    time_env: WorkflowEnvironment,
    task_queue: str,
) -> AsyncIterator[PortalHarness]:
    url = sqlite_url("appointments")  # type: ignore[operator]
    await (await make_desk(url)).factory.kw["bind"].dispose()
    settings = AppointmentsSettings(
        database_url=url,
        exchange=exchange,
        amqp_url=AMQP_URL,
        run_jobs=False,
        task_queue=task_queue,
    )
    app = create_app(settings, temporal=time_env.client)
    async with portal_factory(backends={"appointments": app}) as h:  # type: ignore[operator]
        worker = build_worker(
            time_env.client,
            task_queue,
            HttpVisitStore(h.clients.appointments, settings.internal_token),
        )
        async with worker:
            yield h


async def test_officer_prechecks_a_one_visit_booking_and_decides_an_application(
    harness: PortalHarness,
) -> None:
    day = str(next_workday())
    me = await harness.api("resident")
    slots = (
        await me.get(
            "/api/v1/slots",
            params={"service": "hukou", "office": STATION, "date": day, "way": "one_visit"},
        )
    ).json()
    b = (
        await me.post(
            "/api/v1/bookings",
            json={
                "service_code": "hukou",
                "slot_id": slots[0]["slot_id"],
                "documents": ["居民户口簿", "居民身份证"],
            },
        )
    ).json()
    assert b["status"] == "pending_check"
    officer = await harness.login("officer")
    queue = await officer.get("/appointments/staff/precheck")
    assert b["code"] in queue.text
    r = await harness.post_form(
        officer, f"/appointments/staff/precheck/{b['code']}", {"missing": "准予迁入证明"}
    )
    assert r.status_code == 303
    mine = (await me.get("/api/v1/bookings/mine")).json()[0]
    assert (mine["status"], mine["missing"]) == ("pending_check", ["准予迁入证明"])
    resident = await harness.login("resident")
    page = await resident.get(f"/appointments/bookings/{b['code']}")
    assert "民警预审后请您补充以下材料" in page.text and "准予迁入证明" in page.text
    await harness.post_form(
        resident, f"/appointments/bookings/{b['code']}/documents", {"documents": "准予迁入证明"}
    )
    await harness.post_form(officer, f"/appointments/staff/precheck/{b['code']}", {})
    assert (await me.get("/api/v1/bookings/mine")).json()[0]["status"] == "ready"

    app = (
        await me.post(
            "/api/v1/applications",
            json={"service_code": "exit_entry", "documents": ["居民身份证", "出入境证件申请表"]},
        )
    ).json()
    listing = await officer.get("/appointments/staff/applications")
    assert app["id"] in listing.text
    r = await harness.post_form(
        officer,
        f"/appointments/staff/applications/{app['id']}",
        {"decision": "returned", "note": "照片不清晰"},
    )
    assert r.status_code == 303
    back = (await me.get("/api/v1/applications/mine")).json()[0]
    assert (back["status"], back["note"]) == ("returned", "照片不清晰")
    mine_page = await resident.get("/appointments/mine")
    assert "退回补正" in mine_page.text and "照片不清晰" in mine_page.text


async def test_kiosks_capacity_and_figures(harness: PortalHarness) -> None:
    officer = await harness.login("officer")
    kiosks = await officer.get("/appointments/staff/kiosks")
    code = re.findall(r'action="/appointments/staff/kiosks/([^"]+)"', kiosks.text)[0]
    await harness.post_form(
        officer, f"/appointments/staff/kiosks/{code}", {"in_service": "0", "note": "维修中"}
    )
    resident = await harness.login("resident")
    public = await resident.get("/appointments/kiosks")
    assert "暂停服务" in public.text and "维修中" in public.text
    assert (await officer.get("/appointments/staff/capacity")).status_code == 403
    chief = await harness.login("station_chief")
    r = await harness.post_form(
        chief,
        "/appointments/staff/capacity",
        {"office": STATION, "way": "appointment", "seats": "5"},
    )
    assert r.status_code == 303
    me = await harness.api("resident")
    slots = (
        await me.get(
            "/api/v1/slots",
            params={"service": "hukou", "office": STATION, "date": str(next_workday())},
        )
    ).json()
    assert {s["free"] for s in slots} == {5}
    r = await harness.post_form(
        chief,
        "/appointments/staff/capacity",
        {"office": "SXJ12", "way": "appointment", "seats": "5"},
    )
    assert r.status_code == 403
    closed = str(next_workday(5))
    await harness.post_form(
        chief,
        "/appointments/staff/closures",
        {"office": STATION, "day": closed, "reason": "村民大会"},
    )
    page = await chief.get("/appointments/staff/capacity")
    assert f"{closed} · 村民大会" in page.text
    figures = await chief.get("/appointments/figures")
    assert figures.status_code == 200 and "承诺时限达标率" in figures.text


async def test_officer_schedules_and_closes_a_door_to_door_visit(
    harness: PortalHarness, time_env: WorkflowEnvironment
) -> None:
    me = await harness.api("resident")
    v = (
        await me.post(
            "/api/v1/home-visits",
            json={
                "service_code": "no_record",
                "reason": "disabled",
                "address": "蒋河村五组",
                "phone": "13900000001",
            },
        )
    ).json()
    officer = await harness.login("officer")
    path = f"/appointments/staff/home-visits/{v['id']}"
    for _ in range(100):
        page = await officer.get("/appointments/staff")
        if path in page.text:
            break
        await asyncio.sleep(0.05)
    assert path in page.text
    visit = await officer.get(path)
    assert "蒋河村五组" in visit.text and "已分派" in visit.text
    when = (await time_env.get_current_time()).astimezone(TZ) + timedelta(days=1)
    r = await harness.post_form(
        officer, path, {"action": "schedule", "scheduled_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert r.status_code == 303
    visit = await officer.get(path)
    assert "已安排" in visit.text and when.strftime("%Y-%m-%d %H:%M") in visit.text
    refused = await harness.post_form(
        officer, path, {"action": "reschedule", "scheduled_at": "2000-01-01T09:00", "reason": "x"}
    )
    assert refused.status_code == 409
    assert "上门时间必须是将来的时间" in refused.text
    leader = await harness.login("group_leader")
    assert (await leader.get(path)).status_code == 403
    await harness.post_form(officer, path, {"action": "done", "reason": "已办结"})
    assert "已办结" in (await officer.get(path)).text
    visits = (await me.get("/api/v1/home-visits/mine")).json()
    assert visits[0]["status"] == "done"


async def test_resident_cannot_reach_staff_pages_or_others_bookings(
    harness: PortalHarness,
) -> None:
    resident = await harness.login("resident")
    assert (await resident.get("/appointments/staff")).status_code == 403
    leader = await harness.api("group_leader")
    day = str(next_workday())
    slots = (
        await leader.get(
            "/api/v1/slots", params={"service": "no_record", "office": STATION, "date": day}
        )
    ).json()
    b = (
        await leader.post(
            "/api/v1/bookings", json={"service_code": "no_record", "slot_id": slots[0]["slot_id"]}
        )
    ).json()
    other = await resident.get(f"/appointments/bookings/{b['code']}")
    assert other.status_code == 403
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.app), base_url="http://portal.test"
    ) as anon:
        assert (await anon.get("/api/v1/bookings/mine")).status_code == 401
