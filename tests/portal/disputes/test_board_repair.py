"""The board's repairs through the portal (pages and /api/v1/supervision/...): terminate, for
the station chief and the administrator only, confirmed, audited, in the case's timeline; and
the reconciliation button closing a row whose workflow was ended behind the system's back; the
board saying when no worker polls the disputes task queue, and which database is down."""

from __future__ import annotations

import re

from shared.db import make_engine, make_session_factory
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import Stack, audit_actions
from tests.portal.disputes.test_api import create

OFFICER = ACCOUNTS["officer"].user_id


async def officer_task_refs(stack: Stack) -> list[str]:
    officer = await stack.api("officer")
    return [t["ref_id"] for t in (await officer.get("/api/v1/tasks")).json()["items"]]


async def test_terminate_is_confirmed_for_supervisors_only_and_audited(stack: Stack) -> None:
    chief = await stack.api("station_chief")
    case_id = await create(chief)
    await stack.assigned_to(case_id, OFFICER)
    assert case_id in await officer_task_refs(stack)
    url = f"/api/v1/supervision/cases/{case_id}/terminate"

    officer = await stack.api("officer")
    assert (await officer.post(url, json={"reason": "x", "confirm": True})).status_code == 403
    r = await chief.post(url, json={"reason": "重复登记", "confirm": False})
    assert r.status_code == 422 and "confirm" in r.text
    r = await chief.post(url, json={"reason": "", "confirm": True})
    assert r.status_code == 422 and "reason" in r.text

    r = await chief.post(url, json={"reason": "重复登记", "confirm": True})
    assert r.status_code == 200, r.text
    assert case_id not in await officer_task_refs(stack), "the officer's task is gone"
    assert (await chief.get(f"/api/v1/disputes/{case_id}")).json()["stage"] == "cancelled"
    assert "reconciled" in await stack.timeline_kinds(case_id)
    assert ("dispute.terminate", case_id) in await audit_actions(stack)
    r = await chief.post(url, json={"reason": "again", "confirm": True})
    assert r.status_code == 409 and "not running" in r.text


async def test_reconcile_button_closes_a_row_ended_behind_our_back(stack: Stack) -> None:
    chief = await stack.api("station_chief")
    case_id = await create(chief)
    await stack.assigned_to(case_id, OFFICER)
    await stack.env.client.get_workflow_handle(f"dispute-{case_id}").terminate(reason="operator")
    assert case_id in await officer_task_refs(stack), "the drift"

    page = await stack.portal.login("station_chief")
    r = await stack.portal.post_form(page, f"/supervision/stuck/{case_id}/terminate", {})
    assert r.status_code == 422, "a terminate is confirmed on the page"
    r = await stack.portal.post_form(page, "/supervision/reconcile", {})
    assert r.status_code == 303 and r.headers["location"] == "/supervision/stuck?done=reconcile-1"
    assert case_id not in await officer_task_refs(stack)
    r = await chief.post("/api/v1/supervision/reconcile")
    assert r.status_code == 200 and r.json()["repaired"] == []


async def test_the_board_says_when_no_worker_polls_the_task_queue(stack: Stack) -> None:
    page = await stack.portal.login("station_chief")
    chief = await stack.api("station_chief")
    board = await page.get("/supervision/stuck")
    assert board.status_code == 200 and 'id="no-worker"' not in board.text
    assert (await chief.get("/api/v1/supervision/stuck")).json()["workers"]["polled"] is True
    served = stack.disputes.state.settings
    nobody = f"{stack.task_queue}-nobody"  # as when the service's worker was killed long ago
    stack.disputes.state.settings = served.model_copy(update={"task_queue": nobody})
    try:
        board = await page.get("/supervision/stuck")
        assert 'id="no-worker"' in board.text
        assert "没有工作进程在轮询任务队列" in board.text and nobody in board.text
        workers = (await chief.get("/api/v1/supervision/stuck")).json()["workers"]
        assert workers == {
            "task_queue": nobody,
            "polled": False,
            "last_poll": None,
            "why": f"no worker is polling the task queue {nobody}",
        }
    finally:
        stack.disputes.state.settings = served


async def test_the_503_page_and_answer_name_the_database_that_is_down(stack: Stack) -> None:
    page = await stack.portal.login("station_chief")
    chief = await stack.api("station_chief")
    runtime = stack.disputes.state.runtime
    good = runtime.factory
    dead = make_engine("postgresql://postgres@127.0.0.1:1/fq_nowhere")  # refuses every connection
    runtime.factory = make_session_factory(dead)
    try:
        r = await chief.get("/api/v1/supervision/stuck")
        assert r.status_code == 503
        assert r.json()["detail"] == "the disputes database is unreachable; try again shortly"
        r = await page.get("/supervision/stuck")
        assert r.status_code == 503
        assert "矛盾纠纷服务的数据库无法连接，请稍后再试" in r.text
    finally:
        runtime.factory = good
        await dead.dispose()
    assert (await chief.get("/api/v1/supervision/stuck")).status_code == 200


async def test_a_repair_is_in_the_case_timeline_with_who_when_and_why(stack: Stack) -> None:
    chief = await stack.api("station_chief")
    case_id = await create(chief)
    await stack.assigned_to(case_id, OFFICER)
    r = await chief.post(
        f"/api/v1/supervision/cases/{case_id}/repair/reset",
        json={"reason": "新版本部署出错，回退重跑", "confirm": True},
    )
    assert r.status_code == 200, r.text
    assert "repair_reset" in await stack.timeline_kinds(case_id)
    page = await stack.portal.login("station_chief")
    html = (await page.get(f"/cases/{case_id}")).text
    line = next(ln for ln in html.splitlines() if "新版本部署出错，回退重跑" in ln)
    assert "回退到最近的正常点" in line  # "Reset to the last good point"
    assert f"({ACCOUNTS['station_chief'].user_id})" in line
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", line), "when it was done"
    # the case goes on after the reset: the officer still holds it
    v = await stack.wait_for(case_id, lambda v: v.assignee_id == OFFICER)
    assert v.stage == "assignment"
