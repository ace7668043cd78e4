"""Real Chromium on a phone-sized screen against the portal and the disputes service served by
uvicorn, a worker on the real Temporal server. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.portal.browser import browser_page, log_in, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.test_browser import Live, live, no_sideways_scroll

pytestmark = pytest.mark.browser
__all__ = ["live"]
ADMIN = ACCOUNTS["admin"]


async def test_admin_previews_and_saves_screening_rules_on_a_phone(live: Live) -> None:
    await live.case(ACCOUNTS["officer"].user_id, people_involved=6)
    async with browser_page() as page:
        await log_in(page, live.base, ADMIN.username, ADMIN.password)
        await page.goto(f"{live.base}/admin")
        await page.click('a[href="/admin/rules/screening"]')
        await page.wait_for_url(f"{live.base}/admin/rules/screening")
        assert "现行：第 0 版" in await page.locator("#in-force").inner_text()
        await no_sideways_scroll(page)
        rule = page.locator('fieldset.rule:has(input[value="several_people"])')
        await rule.locator("select[name$='.colour']").select_option("red")
        await page.click("#preview-button")
        await page.wait_for_selector("#preview")
        summary = await page.locator("#preview-summary").inner_text()
        assert summary == (
            "按这些规则，最近 30 天的 1 件案件中将有 1 件为红色（现行规则下为 0 件）。"
        )
        await no_sideways_scroll(page)
        await screenshot(page, "admin-rules-preview-zh-phone")

        await page.fill("textarea[name=reason]", "五人以上纠纷提前红色预警")
        await page.click("#save-button")
        await page.wait_for_selector("#saved")
        assert "现行：第 1 版" in await page.locator("#in-force").inner_text()
        assert "五人以上纠纷提前红色预警" in await page.locator("#versions").inner_text()

        await page.click("header .lang button")
        await page.wait_for_load_state()
        assert "In force: version 1" in await page.locator("#in-force").inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "admin-rules-saved-en-phone")
