"""A screening rule an administrator made shows on the case page by its label (in the reader's
language), not by its id."""

from __future__ import annotations

import re

from services.portal.admin_lib.rule_labels import labels_from
from shared.contracts.screening_rules import RulesVersion
from tests.admin.test_screening_rules_portal import API, start
from tests.portal.disputes.conftest import Stack


def _version(number: int, label: str, label_zh: str) -> RulesVersion:
    rule = {"id": "x1", "colour": "red", "label": label, "label_zh": label_zh}
    when = {"fact": "threats", "equals": True}
    return RulesVersion.model_validate(
        {"version": number, "rules": {"rules": [{**rule, "when": when}]}}
    )


def test_the_newest_version_with_the_id_gives_the_label() -> None:
    versions = [_version(1, "Old", "旧"), _version(2, "New", "")]
    assert labels_from(versions, {"x1"}, "zh_CN") == {"x1": "New"}  # no Chinese: English
    assert labels_from(versions[:1], {"x1"}, "zh_CN") == {"x1": "旧"}
    assert labels_from(versions[:1], {"x1", "gone"}, "en") == {"x1": "Old"}


async def test_an_admin_made_rule_shows_its_label_on_the_case_page(stack: Stack) -> None:
    h = stack.portal
    api = await h.api("admin")
    rules = (await api.get(API)).json()["rules"]
    crowd = {
        "id": "three_households",
        "colour": "red",
        "label": "Three or more people",
        "label_zh": "三人以上卷入",
        "when": {"fact": "people_involved", "gte": 3},
    }
    saved = await api.post(
        API,
        json={"rules": {**rules, "rules": [*rules["rules"], crowd]}, "reason": "三人以上即红色"},
    )
    assert saved.status_code == 201, saved.text
    case_id = await start(stack, people_involved=4)
    chief = await h.login("station_chief")
    page = (await chief.get(f"/cases/{case_id}")).text
    shown = re.search(r'<li data-rule="three_households">(.*?)</li>', page)
    assert shown is not None and shown.group(1) == "三人以上卷入"
    await chief.post("/lang", data={"language": "en", "csrf_token": await h.csrf(chief)})
    page = (await chief.get(f"/cases/{case_id}")).text
    shown = re.search(r'<li data-rule="three_households">(.*?)</li>', page)
    assert shown is not None and shown.group(1) == "Three or more people"
