"""The officer's workbench where the signal drops (real Chromium at phone width, Playwright's
offline mode): the task list and the officer's open cases stay readable, accept and follow-up
made offline are queued and sent once on reconnecting, a refusal is shown with its reason,
and nothing stays on the phone after logout."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page

from tests.portal.browser import browser_page, log_in, screenshot
from tests.portal.disputes.conftest import COLLEAGUE
from tests.portal.disputes.test_browser import CHIEF, OFFICER, Live, live
from workflows.disputes import client as dc
from workflows.disputes.types import ACTIONS, Actor

__all__ = ["live"]
pytestmark = pytest.mark.browser
ME = Actor(user_id=OFFICER.user_id, role="officer", station_code=CHIEF.station_code)


async def ready_offline(page: Page, base: str, case_id: str) -> None:
    """Logged in, the case on the task list (its projection may lag the workflow by a moment)
    and the phone's copy made."""
    await log_in(page, base, OFFICER.username, OFFICER.password)
    for _ in range(60):
        await page.goto(f"{base}/tasks")
        if await page.locator(f'#tasks a[href="/cases/{case_id}"]').count():
            break
        await asyncio.sleep(0.5)
    await page.wait_for_selector("body[data-offline-ready='1']", state="attached")


async def test_follow_up_made_offline_is_sent_once_on_reconnecting(live: Live) -> None:
    case_id = await live.case(OFFICER.user_id)
    await dc.perform(
        live.env.client, case_id, "accept", ACTIONS["accept"].model_validate({}), ME, "a1"
    )
    async with browser_page() as page:
        await ready_offline(page, live.base, case_id)
        await page.context.set_offline(True)
        await page.goto(f"{live.base}/cases/{case_id}")  # from the phone, not the network
        assert await page.locator("#stage").inner_text() == "跟踪化解"
        status = await page.locator("#offline-status").inner_text()
        assert status.startswith("离线：显示手机上保存的内容 · 保存于")
        await page.goto(f"{live.base}/tasks")
        assert await page.locator(f'#tasks a[href="/cases/{case_id}"]').count() == 1
        await page.goto(f"{live.base}/cases/{case_id}")
        form = page.locator("#action-follow-up")
        await form.locator("textarea[name=done]").fill("信号不好，入户调解已完成")
        await form.locator("select[name=outcome]").select_option("progress")
        await form.locator("button").last.click()
        await page.wait_for_selector("body[data-queued='1']", state="attached")
        assert await page.locator(".offline-kept").inner_text() == (
            "已保存在手机上，网络恢复后自动发送。"
        )
        assert (await page.locator("#offline-queue").inner_text()) == "待发送的操作： 1"
        await screenshot(page, "disputes-offline-queued-zh-phone")
        view = await dc.view(live.env.client, case_id)
        assert view.stage == "follow_up"  # nothing reached the server yet
        await page.context.set_offline(False)
        await page.wait_for_selector("#offline-results li.applied")
        assert await page.get_attribute("body", "data-queued") == "0"
        sent = await page.locator("#offline-results li.applied").inner_text()
        assert sent.startswith("案件 FQ") and sent.endswith(" · 记录跟踪走访: 已生效")
        await page.goto(f"{live.base}/cases/{case_id}")
        timeline = await page.locator("#timeline").inner_text()
        assert timeline.count("信号不好，入户调解已完成") == 1
        await screenshot(page, "disputes-offline-sent-zh-phone")


async def test_queued_accept_on_a_case_reassigned_meanwhile_is_refused_and_shown(
    live: Live,
) -> None:
    case_id = await live.case(OFFICER.user_id)
    async with browser_page() as page:
        await ready_offline(page, live.base, case_id)
        await page.click("header .lang button")
        await page.wait_for_load_state()
        await page.wait_for_selector("body[data-offline-ready='1']", state="attached")
        await page.context.set_offline(True)
        await page.goto(f"{live.base}/cases/{case_id}")
        assert (await page.locator("#offline-status").inner_text()).startswith(
            "Offline: showing what was saved on this phone"
        )
        await page.locator("#action-accept button").click()
        await page.wait_for_selector("body[data-queued='1']", state="attached")
        body = ACTIONS["reassign"].model_validate({"officer_id": COLLEAGUE, "reason": "休假"})
        await dc.perform(live.env.client, case_id, "reassign", body, CHIEF, "r1")
        await page.context.set_offline(False)
        await page.wait_for_selector("#offline-results li.refused")
        refused = await page.locator("#offline-results li.refused").inner_text()
        assert refused.startswith("Case FQ") and refused.endswith(
            " · Accept the case: refused: only the assigned officer may accept this case"
        )
        assert (await dc.view(live.env.client, case_id)).assignee_id == COLLEAGUE
        await screenshot(page, "disputes-offline-refused-en-phone")
        await page.locator("form.logout button").click()
        await page.wait_for_url(f"{live.base}/login")
        kept = await page.evaluate(
            "async () => [await caches.keys(), Object.keys(localStorage)"
            ".filter(k => k.startsWith('fq-'))]"
        )
        assert kept == [[], []]
