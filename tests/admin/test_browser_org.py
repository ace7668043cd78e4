"""Real Chromium on a phone-sized screen, the portal and the disputes service served by uvicorn
(one stack for the module): the administrator opens a police room in a village (in Chinese),
then posts an officer to it (in English); runs a partner organisation from its page (its
channel, deactivating it with its accounts and bringing them back); closes a village and a
police room, after being told why a room in use cannot be. Screenshots under
test-artifacts/screenshots/."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from shared.config import PortalSettings
from shared.demo import demo_accounts, org
from tests.admin.test_supermarket import disputes_directory
from tests.conftest import AMQP_URL
from tests.helpers import delete_exchange, serving_in_thread
from tests.portal.browser import browser_page, log_in, prepare_database, running_portal, screenshot
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import STATION, VILLAGE
from tests.portal.disputes.test_browser import no_sideways_scroll

pytestmark = pytest.mark.browser
ADMIN = ACCOUNTS["admin"]
OFFICER = ACCOUNTS["officer"]
ROOM = "RNEW03"


@pytest.fixture(scope="module")
async def module_exchange() -> AsyncIterator[str]:
    name = f"fq-test-{uuid.uuid4().hex[:10]}"
    yield name
    await delete_exchange(name)


@pytest.fixture(scope="module")
async def base(
    tmp_path_factory: pytest.TempPathFactory, module_exchange: str
) -> AsyncIterator[str]:
    """The portal's base URL, the disputes service's directory behind it."""
    tmp = tmp_path_factory.mktemp("browser-org")
    disputes = await disputes_directory(f"sqlite+aiosqlite:///{tmp}/disputes.db", module_exchange)
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp}/portal-org.db",
        exchange=module_exchange,
        amqp_url=AMQP_URL,
    )
    await prepare_database(settings)
    with (
        serving_in_thread(disputes) as disputes_base,
        running_portal(settings.model_copy(update={"disputes_url": disputes_base})) as url,
    ):
        yield url


async def test_admin_opens_a_police_room_and_posts_an_officer_on_a_phone(base: str) -> None:
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


async def in_chinese(page: Page) -> None:
    """The page in Chinese (a test before may have left the administrator in English)."""
    if await page.get_attribute("html", "lang") != "zh-CN":
        await page.click("header .lang button")
        await page.wait_for_load_state()
    assert await page.get_attribute("html", "lang") == "zh-CN"


async def test_admin_runs_a_partner_organisation_and_closes_a_village_and_room_on_a_phone(
    base: str,
) -> None:
    partner = f"JO-{STATION}"
    judicial = next(a for a in demo_accounts() if a.username == "judicial")
    spare = next(v for v in org().villages if v.station_code == STATION and v.code != VILLAGE.code)
    async with browser_page() as page:
        await log_in(page, base, ADMIN.username, ADMIN.password)
        await page.goto(f"{base}/admin")
        await in_chinese(page)
        await page.click('a[href="/admin/partners"]')
        await page.select_option("#pick-station select[name=station]", STATION)
        await page.click("#pick-station button")
        await page.click(f'#partners li[data-partner="{partner}"] a')
        await page.wait_for_url(f"{base}/admin/partners/{partner}")
        # one page holds it all: the channel, then deactivating it with its accounts
        channel = page.locator(f"#channel-{partner}")
        await channel.locator("input[name=notify_url]").fill("ftp://sfs.example.cn")
        await channel.locator("input[name=reason]").fill("接通通道")
        await channel.locator("button").click()
        refused = f'#channel-{partner} .field-error[data-field="notify_url"]'
        await page.wait_for_selector(refused)
        assert (
            "请填写带主机名的 http:// 或 https:// 地址" in await page.locator(refused).inner_text()
        )
        channel = page.locator(f"#channel-{partner}")
        await channel.locator("input[name=notify_url]").fill("https://sfs.example.cn/fq")
        await channel.locator("input[name=reason]").fill("接通通道")
        await channel.locator("button").click()
        await page.wait_for_selector("#done")
        assert "重试" in await page.locator("#done").inner_text(), "told how to resend at once"
        assert await channel.locator("input[name=notify_url]").input_value() == (
            "https://sfs.example.cn/fq"
        )
        account = page.locator(f'#accounts li[data-account="{judicial.user_id}"]')
        assert "正常" in await account.inner_text()
        await page.locator("#deactivate input[name=reason]").fill("司法所撤并")
        await page.locator("#deactivate button").click()
        await page.wait_for_url(f"{base}/admin/partners/{partner}?done=deactivated")
        assert "其账号也已无法登录" in await page.locator("#done").inner_text()
        assert "已停用" in await page.locator("#state").inner_text()
        assert "随单位一并停用" in await account.inner_text()
        await no_sideways_scroll(page)
        await screenshot(page, "admin-partner-deactivated-zh-phone")
        await page.locator("#reactivate input[name=reason]").fill("恢复设立")
        await page.locator("#reactivate button").click()
        await page.wait_for_url(f"{base}/admin/partners/{partner}?done=reactivated")
        assert "正常" in await page.locator("#state").inner_text()
        assert "正常" in await account.inner_text(), "its account came back with it"

        # closing: a room still serving a village is refused with the reason; once its
        # village is closed, the room closes too
        await page.goto(f"{base}/admin/org?station={STATION}")
        form = page.locator("#form-police_room")
        await form.locator("input[name=code]").fill("RTMP01")
        await form.locator("input[name=name]").fill("临时警务室")
        await form.locator("input[name=station_code]").fill(STATION)
        await form.locator("select[name=village_code]").select_option(spare.code)
        await form.locator("input[name=reason]").fill("临时设立")
        await form.locator("button").click()
        await page.wait_for_selector("#done")
        room = page.locator('#rooms li[data-room="RTMP01"]')
        await room.locator("summary").click()
        await room.locator("input[name=reason]").fill("撤并")
        await room.locator("button").click()
        assert (
            f"警务室仍在服务 {spare.code}：请先为这些村庄指定其他警务室"
            in await page.inner_text("body")
        )
        await page.goto(f"{base}/admin/org?station={STATION}")
        village = page.locator(f'#villages li[data-village="{spare.code}"]')
        await village.locator("summary").click()
        await village.locator("input[name=reason]").fill("撤村并组")
        await village.locator("button").click()
        await page.wait_for_selector("#done")
        assert await page.locator("#done").inner_text() == "已关闭。已通知其他服务。"
        assert "（已关闭）" in await village.inner_text()
        room = page.locator('#rooms li[data-room="RTMP01"]')
        await room.locator("summary").click()
        await room.locator("input[name=reason]").fill("村已撤并")
        await room.locator("button").click()
        await page.wait_for_selector("#done")
        assert "（已关闭）" in await room.inner_text()
        assert await room.locator("summary").count() == 0, "a closed room offers no close"
        await no_sideways_scroll(page)
        await screenshot(page, "admin-org-closed-zh-phone")
