"""Real Chromium on a 360-px phone against the portal and the points service served by uvicorn.

Screenshots under test-artifacts/screenshots/points-*.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page

from services.points.api import create_app as create_points_app
from services.points.seed import seed
from services.portal.api import create_app as create_portal_app
from shared.config import PointsSettings, PortalSettings
from tests.conftest import AMQP_URL
from tests.helpers import serving_in_thread
from tests.portal.browser import browser_page, log_in, prepare_database, screenshot
from tests.portal.conftest import ACCOUNTS

pytestmark = pytest.mark.browser


@pytest.fixture
async def base(exchange: str, tmp_path: Path) -> AsyncIterator[str]:
    points = PointsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/points.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await seed(points)  # demo groups, shops, and 142 points for the demo resident
    portal = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(portal)
    with serving_in_thread(create_points_app(points)) as points_base:
        app = create_portal_app(portal.model_copy(update={"points_url": points_base}))
        with serving_in_thread(app) as portal_base:
            yield portal_base


async def as_role(page: Page, base: str, role: str) -> None:
    await page.context.clear_cookies()
    await log_in(page, base, ACCOUNTS[role].username, ACCOUNTS[role].password)


async def no_sideways_scroll(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def test_patrol_cosign_and_redemption_on_a_phone(base: str) -> None:
    async with browser_page() as page:
        await as_role(page, base, "group_leader")
        await page.goto(f"{base}/patrols")
        form = page.locator("form[action='/patrols']").first
        await form.locator("input[value='res-demo-0001']").check()
        await form.locator("input[name=started_at]").fill("2026-11-20T19:00")
        await form.locator("input[name=ended_at]").fill("2026-11-20T21:30")
        await form.locator("button.primary").click()
        await page.wait_for_url(f"{base}/patrols")
        assert "待民警会签" in await page.locator("#patrols").inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "points-leader-patrols-zh-phone")

        await as_role(page, base, "officer")
        await page.goto(f"{base}/patrols")
        pending = page.locator("#pending li")
        assert await pending.count() == 1
        await no_sideways_scroll(page)
        await screenshot(page, "points-officer-cosign-zh-phone")
        await pending.locator("button").click()
        await page.wait_for_url(f"{base}/patrols")
        assert await page.locator("#pending").count() == 0

        await as_role(page, base, "resident")
        await page.goto(f"{base}/points")
        assert await page.locator("#balance").inner_text() == "152"  # 142 + 2.5 h x 4
        await page.locator("form[action='/points/code'] button").click()
        code = await page.locator("#code").inner_text()
        assert re.fullmatch(r"\d{8}", code)
        await no_sideways_scroll(page)
        await screenshot(page, "points-resident-code-zh-phone")

        await as_role(page, base, "clerk")
        await page.goto(f"{base}/redeem")
        await page.fill("input[name=code]", code)
        await page.locator("form[action='/redeem'][method=get] button").click()
        assert "152" in await page.locator("#holder").inner_text()
        await page.select_option("select[name=item_id]", label="大米 10kg · 80 积分")
        await page.locator("#holder button.primary").click()
        receipt = await page.locator("#receipt").inner_text()
        assert "大米 10kg × 1" in receipt and "72" in receipt
        await no_sideways_scroll(page)
        await screenshot(page, "points-clerk-receipt-zh-phone")
        await page.goto(f"{base}/redeem")
        assert "大米 10kg × 1" in await page.locator("#daily").inner_text()
        await no_sideways_scroll(page)
