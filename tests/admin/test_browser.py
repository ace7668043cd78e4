"""Real Chromium on a phone-sized screen against the portal and the disputes service served by
uvicorn, a worker on the real Temporal server. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from services.points import ledger
from services.points.api import create_app as create_points_app
from shared import migrate
from shared.config import PointsSettings, PortalSettings
from shared.db import make_engine, make_session_factory, transaction
from tests.admin.test_staff import NEW_PASSWORD, PHONE, sms_password
from tests.admin.test_supermarket import VILLAGE as SHOP_VILLAGE
from tests.admin.test_supermarket import disputes_directory
from tests.conftest import AMQP_URL
from tests.helpers import serving_in_thread
from tests.notifications.conftest import ServiceFactory, Sink
from tests.portal.browser import browser_page, log_in, prepare_database, running_portal, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import STATION, VILLAGE
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


async def test_admin_creates_an_officer_who_sets_a_password_on_a_phone(
    live: Live, start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    await start_service(sqlite_url("notifications"))
    async with browser_page() as page:
        await log_in(page, live.base, ADMIN.username, ADMIN.password)
        await page.goto(f"{live.base}/admin")
        await page.click('a[href="/admin/staff"]')
        await page.click("#new-staff")
        await page.fill("input[name=display_name]", "马小明")
        await page.fill("input[name=username]", "ma.xiaoming")
        await page.fill("input[name=phone]", PHONE)
        await page.select_option("select[name=role]", "officer")
        await page.select_option("select[name=station_code]", STATION)
        await page.select_option("select[name=police_room_code]", VILLAGE.police_room_code)
        await no_sideways_scroll(page)
        await screenshot(page, "admin-staff-new-zh-phone")
        await page.click("#staff-form button.primary")
        await page.wait_for_selector("#done")
        assert "待首次登录" in await page.locator("#status").inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "admin-staff-created-zh-phone")

    one_time = await sms_password(sink, PHONE)
    async with browser_page(locale="en-GB") as page:
        await page.goto(f"{live.base}/login")
        await page.click('a[href="/first-login"]')
        await page.fill("input[name=login]", "ma.xiaoming")
        await page.fill("input[name=one_time_password]", one_time)
        await page.fill("input[name=new_password]", NEW_PASSWORD)
        await page.fill("input[name=confirm_password]", NEW_PASSWORD)
        await no_sideways_scroll(page)
        await screenshot(page, "admin-first-login-phone")
        await page.click("#first-login button.primary")
        await page.wait_for_url(f"{live.base}/")
        assert "马小明" in await page.locator("main").inner_text()


async def test_admin_deactivates_reactivates_and_adds_a_partner_member_on_a_phone(
    live: Live,
) -> None:
    officer = ACCOUNTS["officer"]
    case_id = await live.case(officer.user_id)
    async with browser_page() as page:
        await log_in(page, live.base, ADMIN.username, ADMIN.password)
        await page.goto(f"{live.base}/admin/staff")
        await page.click(f'#staff li[data-user="{officer.user_id}"] a')
        await page.wait_for_url(f"{live.base}/admin/staff/{officer.user_id}")
        form = page.locator("#action-deactivate")
        await form.locator("input[name=reason]").fill("长期病假")
        await form.locator("button").click()
        await page.wait_for_selector("#done")
        assert await page.locator("#status").inner_text() == "已停用"
        cases = await page.locator("#open-cases").inner_text()
        assert "在办案件：1 件" in cases and "请把其在办案件移交给同事" in cases
        assert await page.locator(f'#open-cases a[href="/cases/{case_id}"]').count() == 1
        await no_sideways_scroll(page)
        await screenshot(page, "admin-staff-deactivated-zh-phone")
        form = page.locator("#action-reactivate")
        await form.locator("input[name=reason]").fill("病愈返岗")
        await form.locator("button").click()
        await page.wait_for_selector("#done")
        assert await page.locator("#status").inner_text() == "正常"

        await page.goto(f"{live.base}/admin/staff/new")
        await page.fill("input[name=display_name]", "调解员甲")
        await page.fill("input[name=username]", "partner.member")
        await page.fill("input[name=phone]", "13911117777")
        await page.select_option("select[name=role]", "partner")
        await page.select_option("select[name=partner_code]", f"JO-{STATION}")
        await no_sideways_scroll(page)
        await page.click("#staff-form button.primary")
        await page.wait_for_selector("#done")
        facts = await page.locator("#facts").inner_text()
        assert f"JO-{STATION}" in facts and "待首次登录" in facts
        await page.click("header .lang button")
        await page.wait_for_load_state()
        assert await page.locator("#status").inner_text() == "First login pending"
        await no_sideways_scroll(page)
        await screenshot(page, "admin-staff-partner-member-en-phone")


async def test_admin_sets_a_low_stock_mark_on_a_phone(
    sqlite_url: Callable[[str], str], exchange: str, tmp_path: Path
) -> None:
    points = create_points_app(
        PointsSettings(database_url=sqlite_url("points"), amqp_url=AMQP_URL, exchange=exchange)
    )
    disputes = await disputes_directory(sqlite_url("disputes"), exchange)
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal-b.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(settings)
    with serving_in_thread(points) as points_base, serving_in_thread(disputes) as disputes_base:
        urls = {"points_url": points_base, "disputes_url": disputes_base}
        with running_portal(settings.model_copy(update=urls)) as base:
            async with browser_page() as page:
                await log_in(page, base, ADMIN.username, ADMIN.password)
                await page.goto(f"{base}/admin/supermarket")
                form = page.locator("#new-item")
                await form.locator("select[name=village_code]").select_option(SHOP_VILLAGE)
                await form.locator("input[name=shop]").fill("蒋河村爱心超市")
                await form.locator("input[name=name]").fill("香皂")
                await form.locator("input[name=price]").fill("15")
                await form.locator("input[name=stock]").fill("2")
                await form.locator("input[name=low_at]").fill("2")
                await form.locator("button").click()
                await page.wait_for_selector("#done")
                item = page.locator("#items li", has_text="香皂")
                assert "库存不足" in await item.inner_text()
                await no_sideways_scroll(page)
                await screenshot(page, "admin-supermarket-zh-phone")


async def test_admin_previews_and_saves_lifecycle_deadlines_on_a_phone(live: Live) -> None:
    await live.case(ACCOUNTS["officer"].user_id)
    async with browser_page() as page:
        await log_in(page, live.base, ADMIN.username, ADMIN.password)
        await page.goto(f"{live.base}/admin")
        await page.click('a[href="/admin/rules/lifecycle"]')
        await page.wait_for_url(f"{live.base}/admin/rules/lifecycle")
        assert "现行：第 0 版" in await page.locator("#in-force").inner_text()
        await no_sideways_scroll(page)
        await page.fill('input[name="follow_up_every_days.red"]', "5")
        await page.click("#preview-button")
        refusal = page.locator('label .field-error[data-field="follow_up_every_days.red"]')
        assert await refusal.inner_text() == "红色的时限不得长于黄色（3）"
        await no_sideways_scroll(page)
        await screenshot(page, "admin-lifecycle-refused-zh-phone")

        for name, value in (("red", "1"), ("yellow", "2"), ("green", "2")):
            await page.fill(f'input[name="follow_up_every_days.{name}"]', value)
        await page.click("#preview-button")
        await page.wait_for_selector("#preview")
        assert await page.locator("#preview-summary").inner_text() == (
            "按这些时限，最近 30 天的 1 件案件将错过 0 个时限（现行时限下为 0 个）。"
        )
        effects = page.locator("#effects tbody tr")
        assert await effects.count() == 7
        late = await page.locator('#effects tr[data-effect="accept_late"]').inner_text()
        assert late.split("\t") == ["超时未接单（每次均升级）", "0", "0"]
        await no_sideways_scroll(page)
        await screenshot(page, "admin-lifecycle-preview-zh-phone")

        await page.fill("textarea[name=reason]", "黄色、绿色案件两天一访")
        await page.click("#save-button")
        await page.wait_for_selector("#saved")
        assert "现行：第 1 版" in await page.locator("#in-force").inner_text()
        assert "黄色、绿色案件两天一访" in await page.locator("#versions").inner_text()
        assert await page.input_value('input[name="follow_up_every_days.green"]') == "2"

        await page.click("header .lang button")
        await page.wait_for_load_state()
        assert "In force: version 1" in await page.locator("#in-force").inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "admin-lifecycle-saved-en-phone")

        # the roll-out to running cases starts from the version just saved
        await page.goto(f"{live.base}/admin/lifecycle")
        assert (
            "saved lifecycle policy version 1" in await page.locator("#starting-point").inner_text()
        )
        assert await page.input_value("input[name=version]") == "policy-1"
        assert await page.input_value("input[name=reason]") == "黄色、绿色案件两天一访"
        assert "green: 2" in await page.input_value("textarea[name=lifecycle_yaml]")
        await no_sideways_scroll(page)
        await screenshot(page, "admin-lifecycle-rollout-start-en-phone")


async def test_admin_previews_and_saves_points_rules_on_a_phone(
    sqlite_url: Callable[[str], str], exchange: str, tmp_path: Path
) -> None:
    points_url = sqlite_url("points")
    await asyncio.to_thread(migrate.upgrade, "points", points_url)
    engine = make_engine(points_url)
    async with transaction(make_session_factory(engine)) as s:  # one dispute helper's award
        await ledger.ensure_account(s, "res-helper")
        await ledger.credit_once(
            s,
            account_id="res-helper",
            amount=10,
            reason_kind="mediation",
            idem_key="dispute.closed:case-1:res-helper",
            rules_version=0,
        )
    await engine.dispose()
    points = create_points_app(
        PointsSettings(database_url=points_url, amqp_url=AMQP_URL, exchange=exchange)
    )
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal-p.db",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(settings)
    with (
        serving_in_thread(points) as points_base,
        running_portal(settings.model_copy(update={"points_url": points_base})) as base,
    ):
        async with browser_page() as page:
            await log_in(page, base, ADMIN.username, ADMIN.password)
            await page.goto(f"{base}/admin")
            await page.click('a[href="/admin/rules/points"]')
            await page.wait_for_url(f"{base}/admin/rules/points")
            assert "现行：第 0 版" in await page.locator("#in-force").inner_text()
            await page.fill("input[name=mediation_help]", "15")
            await page.click("#preview-button")
            await page.wait_for_selector("#preview")
            assert await page.locator("#preview-summary").inner_text() == (
                "按这些规则，最近 30 天的 1 个事件将获得 15 积分（实际发放 10 积分）。"
            )
            await no_sideways_scroll(page)
            await screenshot(page, "admin-points-rules-preview-zh-phone")

            hold = page.locator("#hold-and-expiry")
            await hold.locator("input[name=redemption_hold_minutes]").fill("0")
            await hold.locator("input[name=expiry_days]").fill("365")
            await page.fill("textarea[name=reason]", "调解奖励提高")
            await page.click("#save-button")
            refusal = hold.locator('.field-error[data-field="redemption_hold_minutes"]')
            assert await refusal.inner_text() == "暂扣等待时间须为 1 至 10080 之间的整数分钟"
            await no_sideways_scroll(page)
            await screenshot(page, "admin-points-rules-hold-refused-zh-phone")
            await hold.locator("input[name=redemption_hold_minutes]").fill("30")
            await page.click("#save-button")
            await page.wait_for_selector("#saved")
            assert "现行：第 1 版" in await page.locator("#in-force").inner_text()
            assert await page.input_value("input[name=expiry_days]") == "365"
            assert await page.input_value("input[name=redemption_hold_minutes]") == "30"
            assert "调解奖励提高" in await page.locator("#versions").inner_text()
            await page.click("header .lang button")
            await page.wait_for_load_state()
            assert "In force: version 1" in await page.locator("#in-force").inner_text()
            await no_sideways_scroll(page)
            await screenshot(page, "admin-points-rules-saved-en-phone")
