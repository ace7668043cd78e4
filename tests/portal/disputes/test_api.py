"""The disputes JSON API over the real workflow: every action, every error class."""

from __future__ import annotations

import httpx

from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import PASSWORD, Stack, audit_actions, intake_body

OFFICER = ACCOUNTS["officer"].user_id


async def act(
    client: httpx.AsyncClient, case_id: str, action: str, key: str | None = None, **body: object
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"/api/v1/disputes/{case_id}/actions/{action}", json=body, headers=headers
    )


async def create(client: httpx.AsyncClient, key: str | None = None, **risk: object) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    r = await client.post("/api/v1/disputes", json=intake_body(**risk), headers=headers)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def test_every_action_through_the_api(stack: Stack) -> None:
    officer = await stack.api("officer")
    chief = await stack.api("station_chief")
    case_id = await create(officer, threats=True)
    await stack.assigned_to(case_id, OFFICER)

    r = await officer.get(f"/api/v1/disputes/{case_id}")
    assert r.status_code == 200
    case = r.json()
    assert case["colour"] == "red" and case["stage"] == "assignment"
    assert case["rules_fired"], "a red grade says which rule fired"
    phones = [p["phone"] for p in case["parties"]]
    assert phones == ["139****5678", "139****4321"]
    assert case["parties"][0]["id_number"] == "640***********1234"

    tasks = (await officer.get("/api/v1/tasks")).json()
    mine = [t for t in tasks["items"] if t["ref_id"] == case_id]
    assert [t["kind"] for t in mine] == ["accept"]
    assert tasks["counts"]["accept"] >= 1

    r = await act(officer, case_id, "decline", reason="我在外地培训")
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] != OFFICER
    r = await act(chief, case_id, "reassign", officer_id=OFFICER, reason="熟悉当事人")
    assert r.status_code == 200 and r.json()["assignee_id"] == OFFICER

    r = await act(officer, case_id, "accept", note="马上去")
    assert r.json()["stage"] == "follow_up"
    r = await act(officer, case_id, "follow-up", done="上门调解", outcome="progress")
    assert r.status_code == 200, r.text
    r = await act(officer, case_id, "regrade", colour="yellow", reason="双方情绪平稳")
    assert r.json()["colour"] == "yellow"
    r = await act(chief, case_id, "regrade", colour="red", reason="又有威胁")
    assert r.json()["colour"] == "red"
    r = await act(
        officer, case_id, "link-partner", partner="judicial_office", request="请司法所参与调解"
    )
    requests = r.json()["partner_requests"]
    assert len(requests) == 1 and requests[0]["partner"] == "judicial_office"
    r = await act(
        officer, case_id, "partner-reply", request_id=requests[0]["request_id"], answer="同意参与"
    )
    assert r.json()["partner_requests"][0]["answer"] == "同意参与"
    r = await act(chief, case_id, "escalate", reason="需要所长关注")
    assert r.status_code == 200, r.text

    r = await act(
        officer,
        case_id,
        "propose-closure",
        settlement_kind="mediation_agreement",
        summary="签订协议",
    )
    assert r.json()["stage"] == "closure_approval"
    r = await act(chief, case_id, "reject-closure", reason="协议未写明赔偿")
    assert r.json()["stage"] == "follow_up"
    r = await act(
        officer,
        case_id,
        "propose-closure",
        settlement_kind="mediation_agreement",
        summary="补充赔偿条款",
    )
    r = await act(chief, case_id, "approve-closure", note="同意")
    assert r.json()["stage"] == "return_visit"
    r = await act(officer, case_id, "return-visit", holds=True, note="协议履行良好")
    assert r.status_code == 200, r.text
    r = await officer.get(f"/api/v1/disputes/{case_id}")
    assert r.json()["stage"] == "closed"

    second = await create(officer)
    await stack.assigned_to(second, OFFICER)
    r = await act(chief, second, "cancel", reason="当事人撤回")
    assert r.status_code == 200 and r.json()["stage"] == "cancelled"
    assert [a for a, _ in await audit_actions(stack)] == [
        "dispute.reassign",
        "dispute.escalate",
        "dispute.reject-closure",
        "dispute.approve-closure",
        "dispute.cancel",
    ]


async def test_idempotency_key_acts_once(stack: Stack) -> None:
    officer = await stack.api("officer")
    case_id = await create(officer, key="phone-retry-1")
    assert await create(officer, key="phone-retry-1") == case_id
    await stack.assigned_to(case_id, OFFICER)
    await act(officer, case_id, "accept")
    first = await act(officer, case_id, "follow-up", key="k-1", done="走访", outcome="no_change")
    again = await act(officer, case_id, "follow-up", key="k-1", done="走访", outcome="no_change")
    assert first.status_code == again.status_code == 200
    kinds = await stack.timeline_kinds(case_id)
    assert sum("follow" in k for k in kinds) == 1, kinds


async def test_error_classes(stack: Stack) -> None:
    anon = stack.portal.client()
    assert (await anon.get("/api/v1/tasks")).status_code == 401
    paths = (await anon.get("/openapi.json")).json()["paths"]
    action = paths["/api/v1/disputes/{case_id}/actions/{action}"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(action["responses"])
    bodies = action["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert len(bodies) == 13 and "done" in bodies[2]["properties"]

    officer = await stack.api("officer")
    chief = await stack.api("station_chief")
    resident = await stack.api("resident")
    other = await stack.api("other-officer", PASSWORD)

    bad = intake_body()
    del bad["description"]
    r = await officer.post("/api/v1/disputes", json=bad)
    assert r.status_code == 422
    assert {"field": "description", "reason": "Field required"}.items() <= r.json()["detail"][
        0
    ].items()
    r = await other.post("/api/v1/disputes", json=intake_body())
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "village_code"

    case_id = await create(officer)
    await stack.assigned_to(case_id, OFFICER)

    r = await act(officer, case_id, "follow-up", done="走访")
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "outcome"
    r = await act(officer, case_id, "decline", reason="   ")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason"
    r = await act(officer, case_id, "fly-away")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "action"
    # an unknown field is refused with its name, not dropped (typed operation and alias)
    r = await officer.post(
        f"/api/v1/disputes/{case_id}/decline", json={"reason": "休假", "urgent": True}
    )
    assert r.status_code == 422
    assert {"field": "urgent", "reason": "Extra inputs are not permitted"}.items() <= r.json()[
        "detail"
    ][0].items()
    r = await act(officer, case_id, "follow-up", done="走访", outcome="progress", risk={"x": 1})
    assert r.status_code == 422
    assert "risk.x" in [d["field"] for d in r.json()["detail"]]
    bad = intake_body()
    bad["parties"][0]["nickname"] = "老王"
    r = await officer.post("/api/v1/disputes", json=bad)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parties.0.nickname"
    r = await officer.post("/api/v1/disputes", json={**intake_body(), "priority": "high"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "priority"

    r = await act(officer, case_id, "approve-closure")
    assert r.status_code == 409
    assert "approve-closure is not allowed in stage assignment" in r.json()["detail"]
    r = await act(chief, case_id, "accept")
    assert r.status_code == 409
    assert r.json()["detail"] == "only the assigned officer may accept this case"

    assert (await officer.get("/api/v1/disputes/0000000000000000")).status_code == 404
    assert (await act(chief, "0000000000000000", "cancel", reason="x")).status_code == 404

    r = await other.get(f"/api/v1/disputes/{case_id}")
    assert r.status_code == 403
    r = await act(other, case_id, "accept")
    assert r.status_code == 403
    assert (await act(resident, case_id, "accept")).status_code == 403
    assert (await resident.get("/api/v1/supervision/stuck")).status_code == 403
    assert (await officer.get("/api/v1/supervision/stuck")).status_code == 403

    r = await resident.get(f"/api/v1/disputes/{case_id}")
    assert r.status_code == 200
    seen = r.json()
    assert seen["stage"] == "assignment" and "parties" not in seen
    assert "13987654321" not in r.text and "王志强" not in r.text
