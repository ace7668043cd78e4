"""Every disputes page, with real data behind it, in zh-CN and English: no 5xx, no untranslated
msgid (the generic walker of tests/portal only sees these pages with stubbed backends)."""

from __future__ import annotations

import pytest

from services.portal.web import Portal
from tests.portal.disputes.conftest import Stack
from tests.portal.disputes.test_pages import new_case
from tests.portal.test_pages_walk import walk


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_disputes_pages_render_translated(stack: Stack, language: str) -> None:
    case_id = await new_case(stack, threats=True, minors_involved=True)
    officer_api = await stack.api("officer")
    await officer_api.post(f"/api/v1/disputes/{case_id}/actions/accept", json={})
    await officer_api.post(
        f"/api/v1/disputes/{case_id}/actions/link-partner",
        json={"partner": "womens_federation", "request": "请妇联参与"},
    )
    state: Portal = stack.portal.app.state.portal
    state.translator.seen.clear()
    pages = [
        "/tasks",
        "/tasks?colour=red",
        f"/cases/{case_id}",
        "/cases/new",
        "/my/cases",
        "/supervision/stuck",
        "/supervision/figures",
    ]
    expected = {
        "officer": {"/tasks", f"/cases/{case_id}", "/cases/new"},
        "station_chief": {f"/cases/{case_id}", "/supervision/stuck", "/supervision/figures"},
        "admin": {f"/cases/{case_id}", "/supervision/stuck", "/supervision/figures"},
        "resident": {f"/cases/{case_id}", "/my/cases", "/cases/new"},
    }
    for role, ok in expected.items():
        client = await stack.portal.login(role)
        await stack.portal.post_form(client, "/lang", {"language": language})
        seen = await walk(client, pages)
        assert {p for p in ok if seen.get(p) != 200} == set(), (role, seen)
    missing = state.translator.missing("zh_CN", sorted(state.translator.seen))
    assert not missing, f"untranslated msgids: {missing}"
    assert {"Colour and the rules that fired", "Stuck board", "My cases"} <= state.translator.seen
