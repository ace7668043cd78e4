"""Issue 14, authorization: who may be named as a party, and what held when probed (residents
cannot read each other's cases, roles are checked, forms need their CSRF token)."""

from __future__ import annotations

from services.portal.service import AccountSpec
from tests.portal.conftest import ACCOUNTS, PortalHarness, portal, portal_factory
from tests.portal.disputes.conftest import Stack, add_account, intake_body, stack

__all__ = ["portal", "portal_factory", "stack"]  # fixtures used here

RESIDENT = ACCOUNTS["resident"]
NEIGHBOUR = AccountSpec(
    user_id="res-neighbour",
    username="13900000077",
    role="resident",
    display_name="王邻居",
    phone="13900000077",
    password="Fq-neighbour-2026",
    village_code=RESIDENT.village,
)


def resident_body(**extra: object) -> dict[str, object]:
    body = intake_body()
    body.update(parties=[{"name": "王志强", "phone": "13987654321", "role": "respondent"}])
    body.update(extra)
    return body


async def test_a_resident_cannot_name_another_user_as_party(portal: PortalHarness) -> None:
    """Found: a resident could name any user id as a party, who then read the case and got
    its SMS. Refused before the disputes service is asked (here it is not even running)."""
    resident = await portal.api("resident")
    parties = [
        {"name": "王志强", "phone": "13987654321", "role": "respondent", "user_id": "officer-0001"}
    ]
    r = await resident.post("/api/v1/disputes", json=resident_body(parties=parties))
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "field": "parties.1.user_id",
        "reason": "residents can name only themselves",
        "type": "value_error",
    }


async def test_staff_name_only_existing_residents(portal: PortalHarness) -> None:
    officer = await portal.api("officer")
    body = intake_body()
    body["parties"][0]["user_id"] = "res-does-not-exist"
    r = await officer.post("/api/v1/disputes", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "parties.0.user_id"
    body["parties"][0]["user_id"] = ACCOUNTS["station_chief"].user_id
    assert (await officer.post("/api/v1/disputes", json=body)).status_code == 422
    # the demo resident passes this check (tests/portal/disputes start such cases for real)
    ok = await officer.post("/api/v1/disputes", json=intake_body())
    assert ok.status_code == 503 and "the disputes service is not available" in ok.text


async def test_residents_cannot_read_each_others_cases(stack: Stack) -> None:
    """Held when probed: IDOR between residents."""
    await add_account(stack.portal, NEIGHBOUR)
    mine = await stack.api("resident")
    r = await mine.post("/api/v1/disputes", json=resident_body())
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    neighbour = await stack.api(NEIGHBOUR.username, NEIGHBOUR.password)
    assert (await neighbour.get(f"/api/v1/disputes/{case_id}")).status_code in (403, 404)
    page = await (await stack.portal.login(NEIGHBOUR.username, NEIGHBOUR.password)).get(
        f"/cases/{case_id}"
    )
    assert page.status_code in (403, 404)
    assert (await mine.get(f"/api/v1/disputes/{case_id}")).status_code == 200


async def test_roles_are_checked(stack: Stack) -> None:
    """Held when probed: a resident acts on no case and sees no board."""
    officer = await stack.api("officer")
    case_id = (await officer.post("/api/v1/disputes", json=intake_body())).json()["case_id"]
    resident = await stack.api("resident")
    r = await resident.post(f"/api/v1/disputes/{case_id}/actions/accept", json={})
    assert r.status_code == 403
    assert (await resident.get("/api/v1/supervision/stuck")).status_code in (403, 404)


async def test_forms_need_their_csrf_token(portal: PortalHarness) -> None:
    """Held when probed: CSRF on every form."""
    c = await portal.login("resident")
    r = await c.post("/cases/new", data={"category": "neighbours", "description": "x"})
    assert r.status_code == 403
    r = await c.post("/profile/sign-out-everywhere", data={})
    assert r.status_code == 403
    assert (await c.get("/profile")).status_code == 200
