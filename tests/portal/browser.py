"""Real headless Chromium against a real uvicorn-served portal.

`running_portal(settings)` serves the portal app on a free port in a thread (its own event
loop, lifespan included); `browser_page()` opens Debian's Chromium through Playwright with a
phone-sized viewport; `screenshot(page, name)` keeps a PNG under test-artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from playwright.async_api import Page, ViewportSize, async_playwright

from services.portal.api import create_app
from services.portal.web import ServiceClients
from shared import migrate
from shared.config import PortalSettings
from shared.db import make_engine, make_session_factory
from tests.helpers import serving_in_thread

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 360, "height": 740}


async def prepare_database(settings: PortalSettings) -> None:
    """Migrate and seed the demo accounts before the server starts."""
    from services.portal.seed import seed_accounts
    from tests.portal.conftest import hashed_demo_specs

    await asyncio.to_thread(migrate.upgrade, "portal", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        await seed_accounts(make_session_factory(engine), hashed_demo_specs(), progress=False)
    finally:
        await engine.dispose()


@contextmanager
def running_portal(
    settings: PortalSettings, *, clients: ServiceClients | None = None
) -> Iterator[str]:
    """Serve the portal with uvicorn in a thread; yields its base URL."""
    with serving_in_thread(create_app(settings, clients=clients), name="portal-uvicorn") as url:
        yield url


@asynccontextmanager
async def browser_page(
    *, viewport: ViewportSize | None = None, locale: str = "zh-CN"
) -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport=viewport or PHONE, locale=locale, device_scale_factor=1
            )
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
            await context.close()
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def log_in(page: Page, base_url: str, login: str, password: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", password)
    await page.click("form.form button.primary")
    await page.wait_for_url(f"{base_url}/")
