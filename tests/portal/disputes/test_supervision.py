"""The supervisor console over the real workflow: stuck board (page + API), its actions with
audit, bulk reassign, figures; and the officer's new-case form."""

from __future__ import annotations

import asyncio

from shared.demo import org
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import (
    COLLEAGUE,
    OTHER_STATION,
    VILLAGE,
    Stack,
    audit_actions,
    intake_body,
)
from tests.portal.disputes.test_pages import new_case

OFFICER = ACCOUNTS["officer"].user_id


async def test_overdue_case_on_the_board_and_the_api(quick_stack: Stack) -> None:
    stack = quick_stack
    case_id = await new_case(stack)
    officer = await stack.api("officer")
    r = await officer.post(f"/api/v1/disputes/{case_id}/actions/accept", json={})
    assert r.json()["stage"] == "follow_up"

    chief_api = await stack.api("station_chief")
    rows: list[dict[str, object]] = []
    for _ in range(40):
        rows = (await chief_api.get("/api/v1/supervision/stuck")).json()["items"]
        if any(r["case_id"] == case_id and r["level"] == "red" for r in rows):
            break
        await asyncio.sleep(0.5)
    row = next(r for r in rows if r["case_id"] == case_id)
    assert row["explain"] == "breached" and row["station_code"] == VILLAGE.station_code
    assert row["since"] is not None

    chief = await stack.portal.login("station_chief")
    r = await chief.get("/supervision/stuck")
    assert r.status_code == 200
    assert f'data-case="{case_id}"' in r.text and "已超过本阶段期限" in r.text
    station = next(st for st in org().stations if st.code == VILLAGE.station_code)
    assert f"<h3>{station.name} ({station.code})</h3>" in r.text  # e.g. 头营镇派出所 (SYZ01)

    r = await stack.portal.post_form(
        chief, f"/supervision/stuck/{case_id}/reassign", {"officer_id": COLLEAGUE, "reason": ""}
    )
    assert r.status_code == 422 and "<strong>reason</strong>" in r.text
    r = await stack.portal.post_form(
        chief,
        f"/supervision/stuck/{case_id}/reassign",
        {"officer_id": COLLEAGUE, "reason": "原民警休假", "idem": "r1"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/supervision/stuck?done=reassign"
    v = await stack.wait_for(case_id, lambda v: v.assignee_id == COLLEAGUE)
    assert v.stage == "follow_up"

    r = await chief.get("/supervision/figures")
    assert r.status_code == 200
    assert "在办案件（按颜色和乡镇）" in r.text and VILLAGE.township in r.text
    assert "各派出所超期次数" in r.text

    # Nothing is backing off: the service refuses, and the board says why.
    r = await stack.portal.post_form(chief, f"/supervision/stuck/{case_id}/retry", {"reason": "x"})
    assert r.status_code == 409 and "本案没有等待重试的活动" in r.text
    r = await stack.portal.post_form(
        chief, f"/supervision/stuck/{case_id}/escalate", {"reason": "需要关注", "idem": "e1"}
    )
    assert r.status_code == 303
    r = await stack.portal.post_form(
        chief, f"/supervision/stuck/{case_id}/cancel", {"reason": "当事人撤回", "idem": "c1"}
    )
    assert r.status_code == 303
    await stack.wait_for(case_id, lambda v: v.stage == "cancelled")
    assert await audit_actions(stack) == [
        ("dispute.reassign", case_id),
        ("dispute.escalate", case_id),
        ("dispute.cancel", case_id),
    ]


async def test_bulk_reassign_moves_every_open_case_once(stack: Stack) -> None:
    first = await new_case(stack)
    second = await new_case(stack)
    chief = await stack.portal.login("station_chief")
    r = await stack.portal.post_form(
        chief,
        "/supervision/bulk-reassign",
        {"from_officer": OFFICER, "to_officer": "", "reason": ""},
    )
    assert r.status_code == 422
    assert "<strong>officer_id</strong>" in r.text and "<strong>reason</strong>" in r.text

    form = {"from_officer": OFFICER, "to_officer": COLLEAGUE, "reason": "休假一周", "idem": "b1"}
    r = await stack.portal.post_form(chief, "/supervision/bulk-reassign", form)
    assert r.status_code == 303 and r.headers["location"] == "/supervision/stuck?done=bulk-2"
    for case_id in (first, second):
        v = await stack.wait_for(case_id, lambda v: v.assignee_id == COLLEAGUE)
        assert "reassigned" in await stack.timeline_kinds(case_id)
    # The same form sent again finds nothing left to move.
    r = await stack.portal.post_form(chief, "/supervision/bulk-reassign", form)
    assert r.headers["location"] == "/supervision/stuck?done=bulk-0"
    assert [a for a, _ in await audit_actions(stack)] == ["dispute.bulk_reassign"] * 2
    assert v.assignee_id == COLLEAGUE


async def test_officer_new_case_form_and_resident_list(stack: Stack) -> None:
    officer = await stack.portal.login("officer")
    r = await officer.get("/cases/new")
    assert r.status_code == 200 and f'value="{VILLAGE.code}"' in r.text
    form = {
        "category": "debt",
        "village_code": VILLAGE.code,
        "description": "借款三万元未还",
        "party_0_name": "马建国",
        "party_0_phone": "13912345678",
        "party_0_role": "complainant",
        "party_1_name": "王志强",
        "party_1_role": "respondent",
        "households": "hh-ma, hh-wang",
        "weapons": "on",
        "people_involved": "2",
        "idem": "officer-form-1",
    }
    r = await stack.portal.post_form(officer, "/cases/new", form)
    assert r.status_code == 303
    case_id = r.headers["location"].removeprefix("/cases/")
    v = await stack.wait_for(case_id, lambda v: v.assignee_id is not None)
    assert v.colour == "red" and "weapons" in v.rules_fired
    # A resubmitted form (same hidden key) starts nothing new.
    r = await stack.portal.post_form(officer, "/cases/new", form)
    assert r.headers["location"] == f"/cases/{case_id}"

    other_village = {**form, "village_code": f"V{OTHER_STATION[1:]}01", "idem": "officer-form-2"}
    r = await stack.portal.post_form(officer, "/cases/new", other_village)
    assert r.status_code == 422 and "not a village of your station" in r.text

    api = await stack.api("officer")
    r = await api.post("/api/v1/disputes", json=intake_body())
    mine = r.json()["case_id"]
    await stack.wait_for(mine, lambda v: v.assignee_id is not None)
    resident = await stack.portal.login("resident")
    r = await resident.get("/my/cases")
    assert r.status_code == 200
    assert f'href="/cases/{mine}"' in r.text and f'href="/cases/{case_id}"' not in r.text
