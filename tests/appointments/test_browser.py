"""Real Chromium at 360 px: a resident finds a free time, books it, confirms, sees it listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.appointments.api import create_app
from shared.config import AppointmentsSettings, PortalSettings
from tests.appointments.conftest import make_desk
from tests.appointments.test_api import next_workday
from tests.conftest import AMQP_URL
from tests.helpers import serving_in_thread
from tests.portal.browser import (
    browser_page,
    log_in,
    prepare_database,
    running_portal,
    screenshot,
)
from tests.portal.conftest import ACCOUNTS

pytestmark = pytest.mark.browser


async def test_resident_books_on_a_phone(exchange: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/appointments.db"
    await (await make_desk(url)).factory.kw["bind"].dispose()
    service = create_app(
        AppointmentsSettings(
            database_url=url, exchange=exchange, amqp_url=AMQP_URL, run_jobs=False
        ),
        connect_temporal=False,
    )
    day = next_workday()
    resident = ACCOUNTS["resident"]
    with serving_in_thread(service) as service_url:
        settings = PortalSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/portal.db",
            exchange=exchange,
            amqp_url=AMQP_URL,
            appointments_url=service_url,
        )
        await prepare_database(settings)
        with running_portal(settings) as base:
            async with browser_page() as page:
                await log_in(page, base, resident.phone or "", resident.password)
                await page.goto(f"{base}/appointments")
                assert await page.locator("h1").inner_text() == "六办服务"
                await page.click("a[href='/appointments/services/hukou']")
                assert "准予迁入证明" in await page.locator("#checklist").inner_text()
                await page.select_option("select[name=office]", "SYZ01")
                await page.fill("input[name=date]", day.isoformat())
                await page.click("#find-slots button.primary")
                await page.wait_for_selector("#slots")
                assert await page.evaluate("document.documentElement.scrollWidth") <= 360
                await screenshot(page, "appointments-slots-phone")
                await page.click("#slots li:nth-child(4) button")
                await page.wait_for_selector("#confirm")
                assert await page.locator("#status").inner_text() == "保留中"
                assert await page.locator("#when").inner_text() == f"{day.isoformat()} 10:00–10:30"
                await page.click("#confirm")
                await page.wait_for_load_state()
                assert await page.locator("#status").inner_text() == "已预约"
                code = await page.locator("#code").inner_text()
                assert await page.evaluate("document.documentElement.scrollWidth") <= 360
                await screenshot(page, "appointments-booked-phone")
                await page.goto(f"{base}/appointments/mine")
                assert code in await page.locator("#bookings").inner_text()
