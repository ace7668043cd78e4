"""Board actions through the portal: reassign and bulk reassign go only to active officers of
the case's station (422 naming the field and the reason otherwise)."""

from __future__ import annotations

from sqlalchemy import update

from services.disputes.models import Officer
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import COLLEAGUE, OTHER_OFFICER, Stack
from tests.portal.disputes.test_api import act, create

OFFICER = ACCOUNTS["officer"].user_id


async def test_reassign_only_to_an_active_officer_of_the_station(stack: Stack) -> None:
    chief = await stack.api("station_chief")
    case_id = await create(chief)
    await stack.assigned_to(case_id, OFFICER)

    r = await act(chief, case_id, "reassign", officer_id=OTHER_OFFICER.user_id, reason="试试")
    assert r.status_code == 422, r.text
    assert "officer_id" in r.text and "another station" in r.text
    r = await act(chief, case_id, "reassign", officer_id="nobody-here", reason="试试")
    assert r.status_code == 422 and "no such officer" in r.text

    async with stack.factory.begin() as s:
        await s.execute(update(Officer).where(Officer.user_id == COLLEAGUE).values(active=False))
    r = await act(chief, case_id, "reassign", officer_id=COLLEAGUE, reason="休假")
    assert r.status_code == 422 and "not active" in r.text
    v = await stack.wait_for(case_id, lambda v: v.assignee_id is not None)
    assert v.assignee_id == OFFICER, "a refused reassign moves nothing"

    page = await stack.portal.login("station_chief")
    r = await stack.portal.post_form(
        page,
        f"/supervision/stuck/{case_id}/reassign",
        {"officer_id": OTHER_OFFICER.user_id, "reason": "试试"},
    )
    assert r.status_code == 422 and "这名民警属于其他派出所" in r.text  # the page is in Chinese
    form = {"from_officer": OFFICER, "to_officer": OTHER_OFFICER.user_id, "reason": "休假"}
    r = await stack.portal.post_form(page, "/supervision/bulk-reassign", form)
    assert r.status_code == 422 and "不是本所在岗民警" in r.text
