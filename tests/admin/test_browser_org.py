"""Real Chromium on a phone-sized screen: the administrator opens a police room in a village
(in Chinese), then posts an officer to it (in English); the portal and the disputes service
served by uvicorn. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shared.config import PortalSettings
from tests.admin.test_supermarket import disputes_directory
from tests.conftest import AMQP_URL
from tests.helpers import serving_in_thread
from tests.portal.browser import browser_page, log_in, prepare_database, running_portal, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import STATION, VILLAGE
from tests.portal.disputes.test_browser import no_sideways_scroll

pytestmark = pytest.mark.browser
ADMIN = ACCOUNTS["admin"]
OFFICER = ACCOUNTS["officer"]
ROOM = "RNEW03"


async def test_admin_opens_a_police_room_and_posts_an_officer_on_a_phone(
    sqlite_url: Callable[[str], str], exchange: str, tmp_path: Path
) -> None:
    disputes = await disputes_directory(sqlite_url("disputes"), exchange)
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal-org.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(settings)
    with (
        serving_in_thread(disputes) as disputes_base,
        running_portal(settings.model_copy(update={"disputes_url": disputes_base})) as base,
    ):
        async with browser_page() as page:
            await log_in(page, base, ADMIN.username, ADMIN.password)
            await page.goto(f"{base}/admin")
            await page.click('a[href="/admin/org"]')
            await page.select_option("#pick-station select[name=station]", STATION)
            await page.click("#pick-station button")
            await page.wait_for_selector(f'#villages li[data-village="{VILLAGE.code}"]')
            form = page.locator("#form-police_room")
            await form.locator("input[name=code]").fill(ROOM)
            await form.locator("input[name=name]").fill("新村警务室")
            await form.locator("select[name=village_code]").select_option(VILLAGE.code)
            await form.locator("input[name=reason]").fill("新设警务室")
            await form.locator("input[name=station_code]").fill("SNOPE9")
            await form.locator("button").click()
            refused = '#form-police_room .field-error[data-field="station_code"]'
            await page.wait_for_selector(refused)
            assert await page.locator(refused).inner_text() == "机构目录中没有这个派出所"
            await no_sideways_scroll(page)
            form = page.locator("#form-police_room")
            await form.locator("input[name=station_code]").fill(STATION)
            await form.locator("select[name=village_code]").select_option(VILLAGE.code)
            await form.locator("button").click()
            await page.wait_for_selector("#done")
            room = page.locator(f'#rooms li[data-room="{ROOM}"]')
            assert "新村警务室" in await room.inner_text() and "暂无" in await room.inner_text()
            village = page.locator(f'#villages li[data-village="{VILLAGE.code}"]')
            assert ROOM in await village.inner_text(), "the village is served by the new room"
            await no_sideways_scroll(page)
            await screenshot(page, "admin-org-room-zh-phone")

            await page.click("header .lang button")
            await page.wait_for_load_state()
            assert "Organisation" in await page.locator("h1").first.inner_text()
            await page.select_option("#pick-station select[name=station]", STATION)
            await page.click("#pick-station button")
            await page.click(f'a[href="/admin/org/postings?station={STATION}"]')
            card = page.locator(f'li[data-officer="{OFFICER.user_id}"]')
            await card.locator(f'input[value="{ROOM}"]').check()
            await card.locator("input[name=reason]").fill("posted to the new room")
            await card.locator("button").click()
            await page.wait_for_selector("#done")
            card = page.locator(f'li[data-officer="{OFFICER.user_id}"]')
            assert await card.locator(f'input[value="{ROOM}"]').is_checked()
            assert "running cases keep their officer" in await page.locator("#done").inner_text()
            await no_sideways_scroll(page)
            await screenshot(page, "admin-org-posting-en-phone")
