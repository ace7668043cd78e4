"""The disputes pages over the real workflow: task list, case page forms, scope, new-case forms."""

from __future__ import annotations

import re

from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import PASSWORD, VILLAGE, Stack, intake_body

OFFICER = ACCOUNTS["officer"].user_id


async def new_case(stack: Stack, **risk: object) -> str:
    api = await stack.api("officer")
    r = await api.post("/api/v1/disputes", json=intake_body(**risk))
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    await stack.assigned_to(case_id, OFFICER)
    return case_id


async def test_officer_works_a_case_from_the_task_list(stack: Stack) -> None:
    case_id = await new_case(stack, threats=True)
    browser = await stack.portal.login("officer")

    r = await browser.get("/tasks?colour=red")
    assert r.status_code == 200
    assert f'href="/cases/{case_id}"' in r.text
    assert "接案" in r.text and "红色" in r.text
    # The appointments service is not running here: its tasks are missing, with a notice.
    assert "部分服务未响应" in r.text and ">接案 1</a>" in r.text
    r = await browser.get("/tasks?colour=green")
    assert f'href="/cases/{case_id}"' not in r.text

    r = await browser.get(f"/cases/{case_id}")
    assert r.status_code == 200
    assert "139****5678" in r.text and "13912345678" not in r.text
    assert "640***********1234" in r.text
    assert "有暴力威胁" in r.text and '<span class="fq-badge fq-amber">有威胁言行</span>' in r.text
    assert f'action="/cases/{case_id}/actions/accept"' in r.text

    r = await stack.portal.post_form(
        browser, f"/cases/{case_id}/actions/accept", {"note": "马上到"}
    )
    assert r.status_code == 303
    r = await browser.get(f"/cases/{case_id}")
    assert '<strong id="stage">跟踪化解</strong>' in r.text

    # Bad input: the field and the reason next to the form, nothing done.
    r = await stack.portal.post_form(
        browser, f"/cases/{case_id}/actions/follow-up", {"done": "", "outcome": "progress"}
    )
    assert r.status_code == 422
    assert "<strong>done</strong>: 不能为空" in r.text

    # Refused by the workflow: its reason shown on the page (a second accept).
    r = await stack.portal.post_form(browser, f"/cases/{case_id}/actions/accept", {"note": ""})
    assert r.status_code == 409
    assert "“跟踪化解”阶段不允许进行“接受案件”" in r.text

    r = await stack.portal.post_form(
        browser, f"/cases/{case_id}/actions/follow-up", {"done": "入户调解", "outcome": "progress"}
    )
    assert r.status_code == 303
    assert any("follow" in k for k in await stack.timeline_kinds(case_id))

    # CSRF: a post without the token changes nothing.
    r = await browser.post(
        f"/cases/{case_id}/actions/regrade", data={"colour": "green", "reason": "x"}
    )
    assert r.status_code == 403


async def test_scope_and_url_guessing(stack: Stack) -> None:
    case_id = await new_case(stack)
    other = await stack.portal.login("other-officer", PASSWORD)
    assert (await other.get(f"/cases/{case_id}")).status_code == 403
    r = await stack.portal.post_form(other, f"/cases/{case_id}/actions/accept", {"note": ""})
    assert r.status_code == 403
    officer = await stack.portal.login("officer")
    assert (await officer.get("/cases/ffffffffffffffff")).status_code == 404
    assert (await officer.get("/supervision/stuck")).status_code == 403
    leader = await stack.portal.login("group_leader")
    assert (await leader.get(f"/cases/{case_id}")).status_code == 403

    resident = await stack.portal.login("resident")
    r = await resident.get(f"/cases/{case_id}")
    assert r.status_code == 200
    assert '<strong id="stage">' in r.text
    assert "王志强" not in r.text and "4321" not in r.text and "actions/" not in r.text


async def test_resident_reports_and_follows_a_dispute(stack: Stack) -> None:
    resident = await stack.portal.login("resident")
    r = await resident.get("/cases/new")
    assert r.status_code == 200
    assert "反映矛盾纠纷" in r.text
    r = await stack.portal.post_form(
        resident,
        "/cases/new",
        {
            "category": "land",
            "village_code": VILLAGE.code,
            "description": "邻居占了我家的地",
            "other_name": "李明",
            "idem": "form-1",
        },
    )
    assert r.status_code == 303
    case_id = r.headers["location"].split("new=")[1]
    await stack.assigned_to(case_id, OFFICER)
    r = await resident.get(f"/cases/{case_id}")
    assert '<strong id="stage">待接案</strong>' in r.text

    r = await stack.portal.post_form(
        resident, "/cases/new", {"category": "land", "description": ""}
    )
    assert r.status_code == 422
    assert "<strong>description</strong>" in r.text


async def test_task_list_merges_disputes_and_online_applications(full_stack: Stack) -> None:
    stack = full_stack
    case_id = await new_case(stack, minors_involved=True)
    resident = await stack.api("resident")
    r = await resident.post(
        "/api/v1/applications",
        json={"service_code": "exit_entry", "documents": ["居民身份证", "出入境证件申请表"]},
    )
    assert r.status_code in (200, 201), r.text
    officer = await stack.api("officer")
    tasks = (await officer.get("/api/v1/tasks")).json()
    kinds = [t["kind"] for t in tasks["items"]]
    assert sorted(kinds) == ["accept", "application"]
    assert tasks["counts"] == {"accept": 1, "application": 1}
    # Due soonest first: the yellow case must be accepted within hours, an application in days.
    assert kinds == ["accept", "application"]
    assert tasks["items"][0]["ref_id"] == case_id
    only = (await officer.get("/api/v1/tasks", params={"kind": "application"})).json()
    assert [t["kind"] for t in only["items"]] == ["application"]
    assert only["counts"] == {"accept": 1, "application": 1}

    page = await (await stack.portal.login("officer")).get("/tasks")
    assert "部分服务未响应" not in page.text
    chips = re.findall(r"<a href=\"/tasks[^\"]*\">([^<]+)</a>", page.text)
    assert chips == ["全部 2", "接案 1", "网上申请 1"], chips
