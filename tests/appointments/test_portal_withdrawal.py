"""A resident withdraws through the portal: the JSON API and the page's confirm form, their own
requests only, the officer's task gone, the reason shown in Chinese when it is refused."""

from __future__ import annotations

import re

from tests.appointments.conftest import PortalHarness
from tests.appointments.test_portal_area import harness

__all__ = ["harness"]


async def test_resident_withdraws_an_application_and_a_visit_through_the_api(
    harness: PortalHarness,
) -> None:
    me = await harness.api("resident")
    app = (
        await me.post(
            "/api/v1/applications",
            json={"service_code": "no_record", "documents": ["居民身份证", "用途说明"]},
        )
    ).json()
    visit = (
        await me.post("/api/v1/home-visits", json={"service_code": "hukou", "reason": "elderly"})
    ).json()
    leader = await harness.api("group_leader")
    stolen = await leader.post(f"/api/v1/applications/{app['id']}/withdraw", json={})
    assert stolen.status_code == 403
    officer = await harness.api("officer")
    not_resident = await officer.post(f"/api/v1/home-visits/{visit['id']}/withdraw", json={})
    assert not_resident.status_code == 403
    r = await me.post(f"/api/v1/applications/{app['id']}/withdraw", json={"reason": "不办了"})
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")
    r = await me.post(f"/api/v1/home-visits/{visit['id']}/withdraw")
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    again = await me.post(f"/api/v1/applications/{app['id']}/withdraw", json={})
    assert again.status_code == 409
    assert again.json()["detail"] == "the application is already withdrawn and cannot be withdrawn"
    desk = await (await harness.login("officer")).get("/appointments/staff")
    assert "online application no_record" not in desk.text


async def test_resident_withdraws_on_the_page_and_sees_it_in_chinese(
    harness: PortalHarness,
) -> None:
    browser = await harness.login("resident")
    await harness.post_form(
        browser,
        "/appointments/apply",
        {"service_code": "no_record", "documents": ["居民身份证", "用途说明"]},
    )
    mine = await browser.get("/appointments/mine")
    action = re.findall(r'action="(/appointments/applications/[^"]+/withdraw)"', mine.text)
    assert len(action) == 1 and "确认撤回" in mine.text
    r = await harness.post_form(browser, action[0], {"reason": "填错了"})
    assert (r.status_code, r.headers["location"]) == (
        303,
        "/appointments/mine?withdrawn=application",
    )
    after = await browser.get(r.headers["location"])
    assert "申请已撤回，已告知经办民警。" in after.text and "已撤回" in after.text
    assert 'action="/appointments/applications/' not in after.text  # nothing left to withdraw
    refused = await harness.post_form(browser, action[0], {})
    assert refused.status_code == 409
    assert "申请状态为已撤回，不能撤回" in refused.text
