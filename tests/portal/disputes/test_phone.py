"""Calling a party: the officer handling the case (or a supervisor) sees one number in full,
on purpose, and each reveal is audited without the number; nobody else sees it."""

from __future__ import annotations

from sqlalchemy import select

from services.portal.models import AuditEntry
from services.portal.service import AccountSpec
from shared.demo import org
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import COLLEAGUE, PASSWORD, Stack, add_account
from tests.portal.disputes.test_pages import new_case


async def reveals(stack: Stack) -> list[tuple[str | None, str | None, dict[str, object]]]:
    async with stack.portal.runtime.factory() as s:
        rows = await s.execute(
            select(AuditEntry.actor_id, AuditEntry.subject, AuditEntry.detail)
            .where(AuditEntry.action == "case.phone_revealed")
            .order_by(AuditEntry.id)
        )
        return [(a, subj, dict(d)) for a, subj, d in rows]


async def test_the_handling_officer_reveals_a_number_and_it_is_audited(stack: Stack) -> None:
    case_id = await new_case(stack)
    officer = await stack.portal.login("officer")
    page = await officer.get(f"/cases/{case_id}")
    assert "139****5678" in page.text and "13912345678" not in page.text
    assert f'action="/cases/{case_id}/parties/0/phone"' in page.text

    r = await stack.portal.post_form(officer, f"/cases/{case_id}/parties/0/phone", {})
    assert r.status_code == 200
    assert '<a class="fq-call" href="tel:13912345678">13912345678</a>' in r.text
    assert "139****5678" not in r.text  # the one revealed; the other party stays masked
    assert "139****4321" in r.text and "13987654321" not in r.text
    assert await reveals(stack) == [(ACCOUNTS["officer"].user_id, case_id, {"party": 0})]

    # without the CSRF token nothing is revealed, and nothing is logged
    r = await officer.post(f"/cases/{case_id}/parties/1/phone")
    assert r.status_code == 403 and "13987654321" not in r.text
    r = await stack.portal.post_form(officer, f"/cases/{case_id}/parties/7/phone", {})
    assert r.status_code == 404
    assert len(await reveals(stack)) == 1

    # the station chief may; a colleague of the same station not on the case may not
    chief = await stack.portal.login("station_chief")
    r = await stack.portal.post_form(chief, f"/cases/{case_id}/parties/1/phone", {})
    assert r.status_code == 200 and 'href="tel:13987654321"' in r.text
    colleague = next(o for o in org().officers if o.user_id == COLLEAGUE)
    await add_account(
        stack.portal,
        AccountSpec(
            user_id=colleague.user_id,
            username="colleague",
            role="officer",
            display_name=colleague.name,
            phone=colleague.phone,
            password=PASSWORD,
            station_code=colleague.station_code,
        ),
    )
    other = await stack.portal.login("colleague", PASSWORD)
    page = await other.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "/phone" not in page.text
    r = await stack.portal.post_form(other, f"/cases/{case_id}/parties/0/phone", {})
    assert r.status_code == 403 and "13912345678" not in r.text
    assert "您无权查看此页面" in r.text
    assert [subj for _, subj, _ in await reveals(stack)] == [case_id, case_id]


async def test_reveals_are_capped_per_officer_and_hour(stack: Stack) -> None:
    case_id = await new_case(stack)
    officer = await stack.portal.login("officer")
    stack.portal.settings.phone_reveals_per_hour = 3
    for _ in range(3):
        r = await stack.portal.post_form(officer, f"/cases/{case_id}/parties/0/phone", {})
        assert r.status_code == 200 and 'href="tel:13912345678"' in r.text
    r = await stack.portal.post_form(officer, f"/cases/{case_id}/parties/1/phone", {})
    assert r.status_code == 429 and "13987654321" not in r.text
    assert "一小时内查看号码次数过多，请联系所领导" in r.text
    assert len(await reveals(stack)) == 3  # the refused one is not logged as a reveal
