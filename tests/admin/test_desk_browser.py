"""Real Chromium on a phone-sized screen: the administrator declares a holiday at a station, sees
the booking it leaves without its place, and moves it; then the same pages in English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from services.appointments import bookings, catalogue
from services.appointments.api import create_app as create_appointments_app
from shared.config import AppointmentsSettings, PortalSettings
from tests.appointments.conftest import STATION, make_desk, tx
from tests.appointments.test_api import next_workday
from tests.conftest import AMQP_URL
from tests.helpers import serving_in_thread
from tests.portal.browser import browser_page, log_in, prepare_database, running_portal, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.test_browser import no_sideways_scroll

pytestmark = pytest.mark.browser
ADMIN = ACCOUNTS["admin"]


async def test_admin_declares_a_holiday_and_moves_the_booking_on_a_phone(
    sqlite_url: Callable[[str], str], exchange: str, tmp_path: Path
) -> None:
    url = sqlite_url("appointments")
    desk = await make_desk(url)
    day = next_workday()
    free = await tx(
        desk, catalogue.free_slots, desk, service_code="hukou", office_code=STATION, day=day
    )
    booked = await tx(
        desk,
        bookings.book,
        desk,
        resident_id="res-demo-0001",
        service_code="hukou",
        slot_id=free[0].id,
    )
    await desk.factory.kw["bind"].dispose()
    later = day + timedelta(days=1)
    while later.weekday() >= 5:
        later += timedelta(days=1)
    appointments = create_appointments_app(
        AppointmentsSettings(
            database_url=url, amqp_url=AMQP_URL, exchange=exchange, run_jobs=False
        ),
        connect_temporal=False,
    )
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal-desk.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(settings)
    with (
        serving_in_thread(appointments) as appointments_base,
        running_portal(settings.model_copy(update={"appointments_url": appointments_base})) as base,
    ):
        async with browser_page() as page:
            await log_in(page, base, ADMIN.username, ADMIN.password)
            await page.goto(f"{base}/admin")
            await page.click('a[href="/admin/desk"]')
            await page.fill("input[name=q]", STATION)
            await page.click("#offices form button")
            await page.click(f'a[href="/admin/desk/offices/{STATION}"]')
            await no_sideways_scroll(page)
            form = page.locator("#closure-form")
            await form.locator("input[name=day]").fill(str(day))
            await form.locator("input[name=reason]").fill("冬至")
            await form.locator("input[name=everywhere]").check()
            await screenshot(page, "admin-desk-holiday-zh-phone")
            await page.click("#add-closure")
            await page.wait_for_selector("#listed")
            assert "无法按原时间办理的预约：1 个" in await page.locator("#listed").inner_text()
            assert "冬至" in await page.locator("#closures").inner_text()
            await no_sideways_scroll(page)

            await page.click("#saved a[href='/admin/desk/to-move']")
            row = page.locator(f'li[data-booking="{booked.code}"]')
            assert "当天停办" in await row.inner_text()
            await no_sideways_scroll(page)
            await screenshot(page, "admin-desk-to-move-zh-phone")
            await row.locator("a.button").click()
            await page.fill("input[name=day]", str(later))
            await page.click("#show-slots")
            await page.wait_for_selector("#move-form")
            await no_sideways_scroll(page)
            await page.click("#move-button")
            await page.wait_for_selector("#moved")
            assert booked.code in await page.locator("#moved").inner_text()
            assert await page.locator("#none-to-move").count() == 1

            await page.click("header .lang button")
            await page.wait_for_load_state()
            assert "No booking to move." in await page.locator("#to-move").inner_text()
            await page.goto(f"{base}/admin/desk/offices/{STATION}")
            assert "Holidays and closures" in await page.locator("#closures").inner_text()
            assert "Opening hours" in await page.locator("#hours-form").inner_text()
            await no_sideways_scroll(page)
            await screenshot(page, "admin-desk-office-en-phone")
