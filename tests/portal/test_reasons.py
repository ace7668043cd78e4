"""Every reason a backend service can send reaches a zh-CN page in Chinese."""

from __future__ import annotations

import ast
import html
import re

import pytest
from fastapi import HTTPException

from services.portal.areas._disputes_labels import CATEGORIES, STAGES
from services.portal.reasons import PLACEHOLDER, translate_reason
from services.portal.web import TRANSLATIONS
from tests.points.test_portal_area import h, points_backend
from tests.portal.conftest import PortalHarness
from tests.portal.reason_sources import reasons_in, service_reasons

__all__ = ["h", "points_backend"]  # the points area's fixtures, used here

REASONS = service_reasons()
ALL = sorted({(svc, t) for svc, found in REASONS.items() for t in found})
SAMPLE = "7"
REASON_P = re.compile(r'<p class="reason">(.*?)</p>', re.S)
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def sample(template: str) -> str:
    return PLACEHOLDER.sub(lambda m: f"'{SAMPLE}'" if "!r}" in m.group(0) else SAMPLE, template)


def assert_chinese(shown: str, english: str) -> None:
    rest = shown.replace(SAMPLE, "")
    assert CJK.search(rest), f"{english!r} is shown untranslated: {shown!r}"
    assert not ENGLISH_WORD.search(rest), f"{english!r} left English in {shown!r}"


def test_the_registry_finds_each_services_reasons() -> None:
    """The collection from source works: known reasons of every service are in it."""
    assert "the slot is full" in REASONS["appointments"]
    assert (
        "{office.name} is closed on {day.isoformat()}: {closure.reason}"
        in (REASONS["appointments"])
    )
    assert "unknown, used or expired code" in REASONS["points"]
    assert "not enough points" in REASONS["points"]
    assert "intake screening ({reg.household_cases} earlier household cases)" in REASONS["disputes"]
    assert "{req.action} is not allowed in stage {state.stage}" in REASONS["disputes"]
    assert "{c.stage}: {pct}% of the allowed time used" in REASONS["disputes"]
    assert "say why the visit is cancelled" in REASONS["home_visits"]
    assert {svc: len(found) > 8 for svc, found in REASONS.items()} == dict.fromkeys(REASONS, True)


def test_a_new_reason_without_a_translation_is_caught() -> None:
    source = """
raise Conflict(f"the slot {slot.code} melted", "slot_id")
raise HTTPException(409, detail="the river is up")
escalate(s, f"nobody came for {hours} hours")
"""
    found = reasons_in(ast.parse(source))
    assert found == [
        "the slot {slot.code} melted",
        "the river is up",
        "nobody came for {hours} hours",
    ]
    with pytest.raises(AssertionError, match="untranslated"):
        assert_chinese(translate_reason("the slot A1 melted", TRANSLATIONS, "zh_CN"), "x")


@pytest.fixture
def reason_page(portal: PortalHarness) -> PortalHarness:
    """A page that refuses with the reason given, as a page does with a backend's 409."""

    async def refuse(text: str) -> None:
        raise HTTPException(409, detail=text)

    portal.app.add_api_route("/test-refusal", refuse, methods=["GET"])
    return portal


async def test_every_reason_is_shown_in_chinese(reason_page: PortalHarness) -> None:
    browser = reason_page.client()
    untranslated = []
    for svc, template in ALL:
        english = sample(template)
        page = await browser.get("/test-refusal", params={"text": english})
        assert page.status_code == 409
        [shown] = REASON_P.findall(page.text)
        shown = html.unescape(shown)
        try:
            assert_chinese(shown, english)
        except AssertionError as exc:
            untranslated.append(f"{svc}: {exc}")
    assert not untranslated, "\n".join(untranslated)


async def test_english_readers_get_the_services_words(reason_page: PortalHarness) -> None:
    browser = reason_page.client()
    browser.cookies.set("fq_lang", "en")
    page = await browser.get("/test-refusal", params={"text": "the slot is full"})
    assert REASON_P.findall(page.text) == ["the slot is full"]


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("the case is already red", "本案已经是红色"),
        ("intake screening (2 earlier household cases)", "受理筛查（该户此前有 2 起案件）"),
        ("accept is not allowed in stage follow_up", "“跟踪化解”阶段不允许进行“接受案件”"),
        (
            "bookings can be cancelled until 30 minutes before the start",
            "距开始不足 30 分钟时不能再取消预约",
        ),
        (
            "door-to-door is for elderly, sick, disabled residents",
            "上门服务仅面向以下群众：年老、患病、残疾",
        ),
        ("Value error, amount must not be zero", "分值不能为零"),
        ("an officer's own words stay as typed", "an officer's own words stay as typed"),
    ],
)
def test_values_inside_reasons_are_shown_by_their_labels(english: str, chinese: str) -> None:
    assert translate_reason(english, TRANSLATIONS, "zh_CN") == chinese


@pytest.mark.parametrize("code", sorted({*CATEGORIES, *STAGES}))
def test_codes_shown_raw_in_timelines_are_translated(code: str) -> None:
    """A timeline note may be a bare code (the case's category at registration)."""
    assert CJK.search(translate_reason(code, TRANSLATIONS, "zh_CN")), code


async def test_a_points_refusal_reaches_the_clerk_in_chinese(h: PortalHarness) -> None:
    clerk = await h.login("clerk")
    r = await h.post_form(clerk, "/redeem", {"code": "12345678", "item_id": "rice"})
    assert r.status_code == 409
    assert REASON_P.findall(r.text) == ["兑换码无效、已使用或已过期"]
    # the JSON API keeps the service's machine-readable English
    api = await h.api("clerk")
    r = await api.post("/api/v1/redemptions", json={"code": "12345678", "item_id": "rice"})
    assert r.json()["detail"] == "unknown, used or expired code"
