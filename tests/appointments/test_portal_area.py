"""The appointments area of the portal against the real service: the JSON API a resident's
app uses, scope checks, and the pages a resident and an officer walk through."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from services.appointments.api import create_app
from shared.config import AppointmentsSettings
from tests.appointments.conftest import JIANGHE, STATION, PortalHarness, make_desk
from tests.appointments.test_api import next_workday
from tests.conftest import AMQP_URL


@pytest.fixture
async def harness(
    portal_factory: object, sqlite_url: object, exchange: str
) -> AsyncIterator[PortalHarness]:
    url = sqlite_url("appointments")  # type: ignore[operator]
    await (await make_desk(url)).factory.kw["bind"].dispose()
    settings = AppointmentsSettings(
        database_url=url,
        exchange=exchange,
        amqp_url=AMQP_URL,
        run_jobs=False,
    )
    app = create_app(settings, connect_temporal=False)
    async with portal_factory(backends={"appointments": app}) as h:  # type: ignore[operator]
        yield h


async def test_resident_books_through_the_json_api(harness: PortalHarness) -> None:
    day = str(next_workday())
    me = await harness.api("resident")
    services = (await me.get("/api/v1/services")).json()
    assert {s["code"] for s in services} >= {
        "hukou",
        "id_card",
        "exit_entry",
        "vehicle",
        "permit",
        "no_record",
    }
    slots = (
        await me.get("/api/v1/slots", params={"service": "hukou", "office": STATION, "date": day})
    ).json()
    r = await me.post(
        "/api/v1/bookings", json={"service_code": "hukou", "slot_id": slots[0]["slot_id"]}
    )
    assert r.status_code == 201
    booking = r.json()
    assert booking["resident_id"] == "res-demo-0001" and booking["status"] == "booked"
    dup = await me.post(
        "/api/v1/bookings", json={"service_code": "hukou", "slot_id": slots[1]["slot_id"]}
    )
    assert (dup.status_code, dup.json()["detail"]) == (
        409,
        "you already have an active booking for this service",
    )
    mine = (await me.get("/api/v1/bookings/mine")).json()
    assert [b["code"] for b in mine] == [booking["code"]]
    moved = await me.post(
        f"/api/v1/bookings/{booking['code']}/reschedule", json={"slot_id": slots[2]["slot_id"]}
    )
    assert moved.json()["starts_at"] == slots[2]["starts_at"]
    leader = await harness.api("group_leader")
    stolen = await leader.post(f"/api/v1/bookings/{booking['code']}/cancel", json={})
    assert stolen.status_code == 403
    officer = await harness.api("officer")
    assert (
        await officer.post(
            "/api/v1/bookings", json={"service_code": "hukou", "slot_id": slots[3]["slot_id"]}
        )
    ).status_code == 403
    gone = await me.post(f"/api/v1/bookings/{booking['code']}/cancel", json={"reason": "改天"})
    assert gone.json()["status"] == "cancelled"
    bad = await me.get(
        "/api/v1/slots", params={"service": "hukou", "office": STATION, "date": "2027-01-01"}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] in ("date", "office")


async def test_online_application_and_door_to_door_request(harness: PortalHarness) -> None:
    me = await harness.api("resident")
    r = await me.post(
        "/api/v1/applications", json={"service_code": "no_record", "documents": ["居民身份证"]}
    )
    assert r.status_code == 422
    first = r.json()["detail"][0]
    assert (first["field"], first["reason"]) == ("documents", "missing documents: 用途说明")
    r = await me.post(
        "/api/v1/applications",
        json={"service_code": "no_record", "documents": ["居民身份证", "用途说明"]},
    )
    assert r.status_code == 201 and r.json()["assignee_id"] == "off-0001"
    application = r.json()["id"]
    r = await me.post(
        "/api/v1/home-visits",
        json={"service_code": "hukou", "reason": "elderly", "address": "三组"},
    )
    assert r.status_code == 201
    assert r.json()["village_code"] == JIANGHE and r.json()["status"] == "requested"
    officer = await harness.login("officer")
    page = await officer.get("/appointments/staff")
    assert page.status_code == 200
    # the officer's task, in the page's words: what it is and which application
    assert f"网上申请 · {application}</a>" in page.text
    assert "online application" not in page.text
    app_id = r.json()["id"]
    assert f"/appointments/staff/home-visits/{app_id}" not in page.text  # not assigned yet


async def test_resident_books_on_the_pages_and_the_officer_sees_it(
    harness: PortalHarness,
) -> None:
    day = str(next_workday())
    browser = await harness.login("resident")
    index = await browser.get("/appointments")
    assert index.status_code == 200 and "户籍办理（含户口迁转）" in index.text
    detail = await browser.get("/appointments/services/hukou")
    assert "准予迁入证明" in detail.text
    slots = await browser.get(
        "/appointments/book", params={"service": "hukou", "office": STATION, "date": day}
    )
    slot_id = re.findall(r'name="slot_id" value="([^"]+)"', slots.text)[2]
    r = await harness.post_form(
        browser, "/appointments/book", {"service_code": "hukou", "slot_id": slot_id}
    )
    assert r.status_code == 303
    code = r.headers["location"].rsplit("/", 1)[1]
    held = await browser.get(f"/appointments/bookings/{code}")
    assert "保留中" in held.text and "确认预约" in held.text
    await harness.post_form(browser, f"/appointments/bookings/{code}/confirm", {})
    booked = await browser.get(f"/appointments/bookings/{code}")
    assert '<dd id="status">已预约</dd>' in booked.text
    officer = await harness.login("officer")
    desk = await officer.get("/appointments/staff", params={"date": day})
    assert code in desk.text and "签到" in desk.text
    other = await officer.get("/appointments/staff", params={"office": "SXJ12"})
    assert other.status_code == 403
