"""The red closure rule, through the API as a new user would try it: a case that was red at any
time since it opened needs the station chief's approval to close, whatever its colour now."""

from __future__ import annotations

from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import Stack
from tests.portal.disputes.test_api import act, create

OFFICER = ACCOUNTS["officer"].user_id


async def test_regraded_green_red_case_still_needs_the_chief(stack: Stack) -> None:
    officer = await stack.api("officer")
    chief = await stack.api("station_chief")
    case_id = await create(officer, threats=True)
    await stack.assigned_to(case_id, OFFICER)
    assert (await act(officer, case_id, "accept")).json()["colour"] == "red"
    r = await act(officer, case_id, "regrade", colour="green", reason="双方已冷静")
    assert r.status_code == 200 and r.json()["colour"] == "green"
    r = await act(
        officer,
        case_id,
        "propose-closure",
        settlement_kind="mediation_agreement",
        summary="签订调解协议",
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "closure_approval", (
        "no closure of a once-red case without the chief"
    )
    r = await act(officer, case_id, "approve-closure")
    assert r.status_code in (403, 409), r.text
    r = await act(chief, case_id, "approve-closure", note="同意")
    assert r.status_code == 200 and r.json()["stage"] == "return_visit"


async def test_a_case_never_red_closes_without_approval(stack: Stack) -> None:
    officer = await stack.api("officer")
    case_id = await create(officer)
    await stack.assigned_to(case_id, OFFICER)
    assert (await act(officer, case_id, "accept")).json()["colour"] != "red"
    r = await act(
        officer,
        case_id,
        "propose-closure",
        settlement_kind="mediation_agreement",
        summary="签订调解协议",
    )
    assert r.status_code == 200 and r.json()["stage"] == "return_visit"
