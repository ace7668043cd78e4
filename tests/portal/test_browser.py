"""Real Chromium on a phone-sized screen: a resident logs in and sees the dashboard in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import PortalSettings
from tests.conftest import AMQP_URL
from tests.portal.browser import browser_page, log_in, prepare_database, running_portal, screenshot
from tests.portal.conftest import ACCOUNTS

pytestmark = pytest.mark.browser


async def test_resident_sees_dashboard_in_chinese_on_a_phone(exchange: str, tmp_path: Path) -> None:
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(settings)
    resident = ACCOUNTS["resident"]
    with running_portal(settings) as base:
        async with browser_page() as page:
            await page.goto(f"{base}/login")
            assert await page.locator("h1").inner_text() == "登录"
            await screenshot(page, "login-zh-phone")
            await log_in(page, base, resident.phone or "", resident.password)
            assert await page.locator("h1").inner_text() == f"您好，{resident.display_name}"
            assert await page.locator("html").get_attribute("lang") == "zh-CN"
            assert "村民" in await page.locator(".hello").inner_text()
            # Nothing overflows sideways at 360 px.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360
            await screenshot(page, "resident-dashboard-zh-phone")
            await page.goto(f"{base}/profile")
            assert "139****0001" in await page.locator(".phone").inner_text()
            await screenshot(page, "resident-profile-zh-phone")
            await page.click("header .lang button")
            await page.wait_for_load_state()
            assert await page.locator("h1").inner_text() == "Profile"
            await screenshot(page, "resident-profile-en-phone")
