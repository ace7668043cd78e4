"""Real Chromium at phone width, in both languages: the township's judicial office finds the
officer's request in its own list with its deadline, opens the case and answers; the answer
shows its member's name, and the page never scrolls sideways."""

from __future__ import annotations

import pytest

from shared.demo import demo_accounts
from tests.portal.browser import browser_page, log_in, screenshot
from tests.portal.disputes import test_browser
from tests.portal.disputes.conftest import STATION
from tests.portal.disputes.test_browser import OFFICER, Live, no_sideways_scroll
from workflows.disputes import client as dc
from workflows.disputes.types import ACTIONS, Actor

pytestmark = pytest.mark.browser
live = test_browser.live
JUDICIAL = next(a for a in demo_accounts() if a.username == "judicial")
TEXTS = {
    "zh-CN": ("协调联动请求", "答复期限", "提交答复", "答复已记录，已通知经办民警。"),
    "en": (
        "Linkage requests",
        "Answer by",
        "Send the answer",
        "Your answer was recorded; the officer has been told.",
    ),
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_a_partner_answers_on_a_phone(live: Live, locale: str) -> None:
    case_id = await live.case(OFFICER.user_id)
    me = Actor(user_id=OFFICER.user_id, role="officer", station_code=STATION)
    client = live.env.client
    await dc.perform(client, case_id, "accept", ACTIONS["accept"].model_validate({}), me, "a")
    asked = ACTIONS["link-partner"].model_validate(
        {
            "partner": "judicial_office",
            "partner_code": JUDICIAL.partner,
            "request": "请司法所周三参与调解",
            "deadline_hours": 24,
        }
    )
    await dc.perform(client, case_id, "link-partner", asked, me, "l")
    title, answer_by, send, done = TEXTS[locale]
    async with browser_page(locale=locale) as page:
        await log_in(page, live.base, JUDICIAL.username, JUDICIAL.password)
        if locale == "en":
            await page.click("form.lang button[value=en]")
            await page.wait_for_load_state()
        await page.goto(f"{live.base}/partner")
        assert await page.locator("h1").inner_text() == title
        item = page.locator(f'#open-requests li:has(a[href="/partner/cases/{case_id}"])')
        text = await item.inner_text()
        assert "请司法所周三参与调解" in text and answer_by in text
        await no_sideways_scroll(page)
        await screenshot(page, f"partner-requests-phone-{locale}")

        await item.locator("a").click()
        await page.wait_for_url(f"{live.base}/partner/cases/{case_id}")
        assert "139****5678" in await page.locator("#parties").inner_text()
        await page.fill("#requests textarea[name=answer]", "同意，周三上午到村调解")
        await page.click(f"#requests button:text('{send}')")
        await page.wait_for_url(f"{live.base}/partner/cases/{case_id}?answered=1")
        assert await page.locator("#answered").inner_text() == done
        answer = await page.locator("#requests .answer").inner_text()
        assert "同意，周三上午到村调解" in answer and JUDICIAL.display_name in answer
        assert await page.locator("#requests textarea").count() == 0
        await no_sideways_scroll(page)
        await screenshot(page, f"partner-answered-phone-{locale}")
    view = await live.until(case_id, lambda v: v.partner_requests[0].answer is not None)
    assert view.partner_requests[0].answered_by == JUDICIAL.user_id
