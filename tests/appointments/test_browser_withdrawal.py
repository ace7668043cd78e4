"""Real Chromium at phone width, in both languages: a resident applies online, thinks better of
it, withdraws it with the confirm form and sees it marked withdrawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.appointments.api import create_app
from shared.config import AppointmentsSettings, PortalSettings
from tests.appointments.conftest import make_desk
from tests.conftest import AMQP_URL
from tests.helpers import serving_in_thread
from tests.portal.browser import browser_page, log_in, prepare_database, running_portal, screenshot
from tests.portal.conftest import ACCOUNTS

pytestmark = pytest.mark.browser

TEXTS = {
    "zh-CN": ("撤回", "申请已撤回，已告知经办民警。", "已撤回"),
    "en": ("Withdraw", "Your application was withdrawn; the officer has been told.", "Withdrawn"),
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_resident_withdraws_an_application_on_a_phone(
    exchange: str, tmp_path: Path, locale: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/appointments.db"
    await (await make_desk(url)).factory.kw["bind"].dispose()
    service = create_app(
        AppointmentsSettings(
            database_url=url, exchange=exchange, amqp_url=AMQP_URL, run_jobs=False
        ),
        connect_temporal=False,
    )
    withdraw, done, status = TEXTS[locale]
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
            async with browser_page(locale=locale) as page:
                await log_in(page, base, resident.phone or "", resident.password)
                if locale == "en":
                    await page.click("form.lang button[value=en]")
                    await page.wait_for_load_state()
                await page.goto(f"{base}/appointments/apply?service=no_record")
                for box in await page.locator("#apply input[type=checkbox]").all():
                    await box.check()
                await page.click("#apply button.primary")
                await page.wait_for_url(f"{base}/appointments/mine")
                summary = page.locator("#applications details.withdraw summary")
                assert await summary.inner_text() == withdraw
                await summary.click()
                await page.fill("#applications input[name=reason]", "填错了")
                await page.click("#applications details.withdraw button")
                await page.wait_for_url(f"{base}/appointments/mine?withdrawn=application")
                assert await page.locator("#withdrawn").inner_text() == done
                assert status in await page.locator("#applications").inner_text()
                assert await page.locator("#applications details.withdraw").count() == 0
                assert await page.evaluate("document.documentElement.scrollWidth") <= 360
                await screenshot(page, f"appointments-withdrawn-phone-{locale}")
