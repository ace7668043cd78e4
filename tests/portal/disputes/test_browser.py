"""Real Chromium against the real stack: the portal and the disputes service served by uvicorn,
a dispute worker on the real Temporal dev server. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from services.disputes.api import create_app as create_disputes_app
from services.disputes.seed import seed_directory
from services.portal.api import create_app as create_portal_app
from shared import migrate
from shared.config import DisputesSettings, PortalSettings
from shared.db import make_engine, make_session_factory
from tests.conftest import AMQP_URL
from tests.helpers import poll, serving_in_thread
from tests.portal.browser import browser_page, log_in, prepare_database, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import QUICK, STATION, intake_body
from workflows.disputes import client as dc
from workflows.disputes.types import ACTIONS, Actor, CaseView, DisputeIntake
from workflows.disputes.worker import build_worker

pytestmark = pytest.mark.browser
OFFICER = ACCOUNTS["officer"]
CHIEF = Actor(user_id=f"chief-{STATION}", role="station_chief", station_code=STATION)


@dataclass
class Live:
    base: str
    env: WorkflowEnvironment
    task_queue: str
    factory: async_sessionmaker[AsyncSession]
    settings: DisputesSettings

    async def case(self, assignee: str, *, queue: str | None = None, **risk: object) -> str:
        intake = DisputeIntake.model_validate(
            {**intake_body(**risk), "reporter_kind": "officer", "reporter_id": assignee}
        )
        queue = queue or self.task_queue
        case_id = await dc.start_case(self.env.client, intake, task_queue=queue)
        view = await self.until(case_id, lambda v: v.assignee_id is not None)
        if view.assignee_id != assignee:
            body = ACTIONS["reassign"].model_validate({"officer_id": assignee, "reason": "setup"})
            await dc.perform(self.env.client, case_id, "reassign", body, CHIEF, f"s-{case_id}")
        return case_id

    async def until(
        self, case_id: str, pred: Callable[[CaseView], bool], timeout: float = 30
    ) -> CaseView:
        async def view() -> CaseView | None:
            try:
                return await dc.view(self.env.client, case_id)
            except Exception:  # still registering
                return None

        found = await poll(view, lambda v: v is not None and pred(v), timeout, interval=0.2)
        assert found is not None
        return found


@pytest.fixture
async def live(
    temporal_env: WorkflowEnvironment, task_queue: str, exchange: str, tmp_path: Path
) -> AsyncIterator[Live]:
    disputes_url = f"sqlite+aiosqlite:///{tmp_path}/disputes.db"
    await asyncio.to_thread(migrate.upgrade, "disputes", disputes_url)
    engine = make_engine(disputes_url)
    factory = make_session_factory(engine)
    await seed_directory(factory)
    address = temporal_env.client.service_client.config.target_host
    dsettings = DisputesSettings(
        database_url=disputes_url,
        exchange=exchange,
        amqp_url=AMQP_URL,
        task_queue=task_queue,
        temporal_address=address,
    )
    psettings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(psettings)
    worker = build_worker(
        temporal_env.client, factory, task_queue=task_queue, settings=dsettings, config=QUICK
    )
    try:
        async with worker:
            with serving_in_thread(create_disputes_app(dsettings)) as disputes_base:
                portal_app = create_portal_app(
                    psettings.model_copy(update={"disputes_url": disputes_base})
                )
                with serving_in_thread(portal_app) as base:
                    yield Live(base, temporal_env, task_queue, factory, dsettings)
    finally:
        await engine.dispose()


async def no_sideways_scroll(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def test_officer_accepts_and_records_a_follow_up_on_a_phone(live: Live) -> None:
    case_id = await live.case(OFFICER.user_id, threats=True)
    async with browser_page() as page:
        await log_in(page, live.base, OFFICER.username, OFFICER.password)
        await page.goto(f"{live.base}/tasks")
        task = page.locator(f'#tasks li:has(a[href="/cases/{case_id}"])')
        assert "接案" in await task.inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "disputes-officer-tasks-zh-phone")

        await task.locator("a").click()
        await page.wait_for_url(f"{live.base}/cases/{case_id}")
        assert await page.locator("#stage").inner_text() == "待接案"
        await no_sideways_scroll(page)
        await screenshot(page, "disputes-officer-case-zh-phone")
        await page.locator("#action-accept button").click()
        await page.wait_for_url(f"{live.base}/cases/{case_id}#timeline")
        assert await page.locator("#stage").inner_text() == "跟踪化解"

        form = page.locator("#action-follow-up")
        assert await form.get_attribute("open") is not None, "the first action of the stage is open"
        await form.locator("textarea[name=done]").fill("入户调解，双方同意再谈")
        await form.locator("select[name=outcome]").select_option("progress")
        await form.locator("button").last.click()
        await page.wait_for_url(f"{live.base}/cases/{case_id}#timeline")
        assert "入户调解，双方同意再谈" in await page.locator("#timeline").inner_text()
        await screenshot(page, "disputes-officer-after-follow-up-zh-phone")
        await page.click("header .lang button")
        await page.wait_for_load_state()
        assert await page.locator("#stage").inner_text() == "Follow-up"
        await no_sideways_scroll(page)
        await screenshot(page, "disputes-officer-case-en-phone")


async def test_supervisor_reassigns_an_overdue_case_from_the_stuck_board(live: Live) -> None:
    case_id = await live.case(OFFICER.user_id)
    chief = ACCOUNTS["station_chief"]
    await dc.perform(
        live.env.client,
        case_id,
        "accept",
        ACTIONS["accept"].model_validate({}),
        Actor(user_id=OFFICER.user_id, role="officer", station_code=STATION),
        "accept-1",
    )
    await asyncio.sleep(4)  # past the (shortened) follow-up deadline
    async with browser_page() as page:
        await log_in(page, live.base, chief.username, chief.password)
        row = page.locator(f'#business li[data-case="{case_id}"]')
        for _ in range(30):
            await page.goto(f"{live.base}/supervision/stuck")
            if await row.count():
                break
            await asyncio.sleep(1)
        text = await row.inner_text()
        assert "已超期" in text
        await no_sideways_scroll(page)
        await screenshot(page, "disputes-stuck-board-zh-phone")
        await row.locator("summary").click()
        form = row.locator('form[action$="/reassign"]')
        colleague = await form.locator("select[name=officer_id] option").first.get_attribute(
            "value"
        )
        await form.locator("input[name=reason]").fill("原承办民警休假")
        await form.locator("button").click()
        await page.wait_for_url(f"{live.base}/supervision/stuck?done=reassign")
        view = await live.until(case_id, lambda v: v.assignee_id != OFFICER.user_id)
        assert view.assignee_id == colleague
        await page.goto(f"{live.base}/supervision/figures")
        await screenshot(page, "disputes-figures-zh-phone")


async def test_resident_reports_a_dispute_and_sees_its_stage(live: Live) -> None:
    resident = ACCOUNTS["resident"]
    async with browser_page() as page:
        await log_in(page, live.base, resident.phone or "", resident.password)
        await page.goto(f"{live.base}/cases/new")
        await no_sideways_scroll(page)
        await page.select_option("select[name=category]", "neighbours")
        await page.fill("textarea[name=description]", "邻居家的狗多次咬伤我家的羊")
        await page.fill("input[name=other_name]", "李明")
        await screenshot(page, "disputes-resident-report-zh-phone")
        await page.click("form.fq-form button")
        await page.wait_for_url(re.compile(r".*/my/cases\?new=\w+$"))
        case_id = page.url.split("new=")[1]
        await live.until(case_id, lambda v: v.assignee_id is not None)
        await page.goto(f"{live.base}/cases/{case_id}")
        assert await page.locator("#stage").inner_text() == "待接案"
        assert "民警" in await page.locator("#next-step").inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "disputes-resident-case-zh-phone")
