"""Partner organisations in the portal, over the real workflow: the officer asks the township's
judicial office by name; the office's member finds the request in its own list (JSON API and
page), sees only what the linkage needs and answers as itself; the village committee, not
asked, sees nothing of the case."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import pytest
from temporalio.testing import WorkflowEnvironment

from shared.demo import demo_accounts
from shared.temporal import dispute_workflow_id
from tests.helpers import free_port, poll
from tests.portal.conftest import ACCOUNTS, PortalFactory
from tests.portal.disputes.conftest import STATION, VILLAGE, Stack, running_stack
from tests.portal.disputes.test_pages import new_case
from workflows.disputes.types import LifecycleConfig

PARTNERS = {a.username: a for a in demo_accounts() if a.role == "partner"}
JUDICIAL, COMMITTEE = PARTNERS["judicial"], PARTNERS["village"]


@pytest.fixture
async def short_linkage(
    portal_factory: PortalFactory,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    exchange: str,
    sqlite_url: Callable[[str], str],
) -> AsyncIterator[Stack]:
    """A partner's answer is due two seconds after the request (the lifecycle's default)."""
    config = LifecycleConfig(linkage_default_hours=2 / 3600)
    async with running_stack(
        portal_factory, temporal_env, task_queue, exchange, sqlite_url("disputes"), config
    ) as s:
        yield s


async def linked_case(stack: Stack, deadline_hours: int | None = 24) -> tuple[str, str]:
    """A case in follow-up with a request to the judicial office; (case id, request id)."""
    case_id = await new_case(stack)
    officer = await stack.api("officer")
    r = await officer.post(f"/api/v1/disputes/{case_id}/accept", json={})
    assert r.status_code == 200, r.text
    r = await officer.post(
        f"/api/v1/disputes/{case_id}/link-partner",
        json={
            "partner": "judicial_office",
            "partner_code": JUDICIAL.partner,
            "request": "请司法所参与调解",
            **({"deadline_hours": deadline_hours} if deadline_hours else {}),
        },
    )
    assert r.status_code == 200, r.text
    [asked] = r.json()["partner_requests"]
    assert asked["partner_code"] == f"JO-{STATION}"
    return case_id, asked["request_id"]


async def test_a_partner_answers_its_request_through_the_api(stack: Stack) -> None:
    case_id, request_id = await linked_case(stack)
    office = await stack.api(JUDICIAL.username, JUDICIAL.password)
    committee = await stack.api(COMMITTEE.username, COMMITTEE.password)

    page = (await office.get("/api/v1/partner/requests")).json()
    assert page["partner"]["code"] == JUDICIAL.partner
    [item] = page["items"]
    assert (item["case_id"], item["request_id"], item["request"]) == (
        case_id,
        request_id,
        "请司法所参与调解",
    )
    assert item["deadline"].endswith("Z") or "+" in item["deadline"]
    assert (await committee.get("/api/v1/partner/requests")).json()["items"] == []

    case = (await office.get(f"/api/v1/partner/cases/{case_id}")).json()
    assert [p["phone"] for p in case["parties"]] == ["139****5678", "139****4321"]
    assert "640402198001011234" not in str(case) and "id_number" not in str(case)
    assert case["village_name"] == VILLAGE.name

    # not linked to the committee; a partner has no access to the officers' operations
    assert (await committee.get(f"/api/v1/partner/cases/{case_id}")).status_code == 403
    r = await committee.post(
        f"/api/v1/partner/cases/{case_id}/reply", json={"request_id": request_id, "answer": "好"}
    )
    assert r.status_code == 403
    assert (await office.get(f"/api/v1/disputes/{case_id}")).status_code == 403
    r = await office.post(
        f"/api/v1/disputes/{case_id}/partner-reply", json={"request_id": request_id, "answer": "x"}
    )
    assert r.status_code == 403
    assert (await office.get("/api/v1/partner/cases/no-such-case")).status_code == 404
    officer = await stack.api("officer")
    assert (await officer.get("/api/v1/partner/requests")).status_code == 403

    r = await office.post(
        f"/api/v1/partner/cases/{case_id}/reply", json={"request_id": "x-linkage-9", "answer": "好"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "request_id"
    r = await office.post(
        f"/api/v1/partner/cases/{case_id}/reply", json={"request_id": request_id, "answer": " "}
    )
    assert r.status_code == 422
    body = {"request_id": request_id, "answer": "同意周三参与调解"}
    r = await office.post(
        f"/api/v1/partner/cases/{case_id}/reply", json=body, headers={"Idempotency-Key": "a1"}
    )
    assert r.status_code == 200, r.text
    [answered] = r.json()["requests"]
    assert (answered["open"], answered["answer"], answered["answered_by"]) == (
        False,
        "同意周三参与调解",
        JUDICIAL.user_id,
    )
    again = await office.post(
        f"/api/v1/partner/cases/{case_id}/reply", json=body, headers={"Idempotency-Key": "a1"}
    )
    assert again.status_code == 200  # a retry, answered once
    other = {"request_id": request_id, "answer": "改主意了"}
    assert (
        await office.post(f"/api/v1/partner/cases/{case_id}/reply", json=other)
    ).status_code == 409
    kinds = await stack.timeline_kinds(case_id)
    assert kinds[-2:] == ["partner_requested", "partner_replied"]
    assert kinds.count("partner_replied") == 1

    # the officer sees who answered, for which organisation
    seen = (await officer.get(f"/api/v1/disputes/{case_id}")).json()["partner_requests"][0]
    assert (seen["answered_by"], seen["answered_by_name"]) == (
        JUDICIAL.user_id,
        JUDICIAL.display_name,
    )
    browser = await stack.portal.login("officer")
    page_text = (await browser.get(f"/cases/{case_id}")).text
    timeline = page_text[page_text.index('id="timeline"') :]
    assert re.search(
        rf"同意周三参与调解 <span class=\"fq-muted\">\(头营镇司法所 · {JUDICIAL.display_name}: "
        rf"{JUDICIAL.user_id}\)",
        timeline,
    ), timeline

    # a notice stuck on a down channel: the board links the organisation's page, where the
    # chief fixes the channel (the API names the organisation)
    women = f"WF-{STATION}"
    chief = await stack.portal.login("station_chief")
    down = {"notify_url": f"http://127.0.0.1:{free_port()}/", "reason": "通道故障演练"}
    r = await stack.portal.post_form(chief, f"/admin/partners/{women}/channel", down)
    assert r.status_code == 303, r.text
    stuck = await new_case(stack)
    assert (await officer.post(f"/api/v1/disputes/{stuck}/accept", json={})).status_code == 200
    asked = {"partner": "womens_federation", "partner_code": women, "request": "请妇联协助"}
    r = await officer.post(f"/api/v1/disputes/{stuck}/link-partner", json=asked)
    assert r.status_code == 200, r.text
    chief_api = await stack.api("station_chief")
    try:
        await poll(
            lambda: chief_api.get("/api/v1/supervision/stuck"),
            lambda r: (
                (stuck, women) in {(i["case_id"], i["partner_code"]) for i in r.json()["items"]}
            ),
            timeout=30,
        )
        link = f'<a href="/admin/partners/{women}" class="fq-partner">到协作单位 {women} 的页面'
        assert link in (await chief.get("/supervision/stuck")).text
        admin = await stack.portal.login("admin")
        assert link in (await admin.get("/supervision/stuck")).text
    finally:
        await stack.env.client.get_workflow_handle(dispute_workflow_id(stuck)).terminate()


async def test_an_overdue_request_escalates_and_the_partner_pages_answer_it(
    short_linkage: Stack,
) -> None:
    stack = short_linkage
    case_id, request_id = await linked_case(stack, deadline_hours=None)
    # overdue: escalated to the station chief as before, and marked in the partner's list
    view = await stack.wait_for(case_id, lambda v: v.partner_requests[0].escalated)
    assert view.partner_requests[0].answer is None
    assert "escalated" in await stack.timeline_kinds(case_id)
    office = await stack.api(JUDICIAL.username, JUDICIAL.password)
    page = await poll(
        lambda: office.get("/api/v1/partner/requests"),
        lambda r: r.json()["items"] and r.json()["items"][0]["overdue"],
    )
    assert page.json()["items"][0]["request_id"] == request_id

    browser = await stack.portal.login(JUDICIAL.username, JUDICIAL.password)
    home = await browser.get("/")
    assert 'href="/partner"' in home.text and "协调联动请求" in home.text
    page = await browser.get("/partner")
    assert page.status_code == 200
    assert f'href="/partner/cases/{case_id}"' in page.text and "请司法所参与调解" in page.text
    assert "答复期限" in page.text and "fq-overdue" in page.text
    case = await browser.get(f"/partner/cases/{case_id}")
    assert "139****5678" in case.text and "640402198001011234" not in case.text
    assert "640***" not in case.text  # no ID number at all, not even masked

    r = await browser.post(
        f"/partner/cases/{case_id}/reply", data={"request_id": request_id, "answer": "好"}
    )
    assert r.status_code == 403  # no CSRF token: nothing recorded
    r = await stack.portal.post_form(
        browser, f"/partner/cases/{case_id}/reply", {"request_id": request_id, "answer": "可以"}
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?answered=1")
    done = await browser.get(r.headers["location"])
    assert "答复已记录，已通知经办民警。" in done.text and "可以" in done.text

    committee = await stack.portal.login(COMMITTEE.username, COMMITTEE.password)
    assert (await committee.get(f"/partner/cases/{case_id}")).status_code == 403
    assert ACCOUNTS["officer"].user_id not in (await committee.get("/partner")).text
