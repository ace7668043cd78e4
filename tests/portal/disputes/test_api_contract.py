"""The disputes API's contract over the real workflow: one operation per action with its own
body, the deprecated alias announcing its end, a case readable as soon as its 201 is sent,
timestamps with offsets, an Idempotency-Key reused with another body refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx

from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import Stack, intake_body

OFFICER = ACCOUNTS["officer"].user_id
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def timestamps(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from timestamps(value)
    elif isinstance(node, list):
        for value in node:
            yield from timestamps(value)
    elif isinstance(node, str) and ISO.match(node):
        yield node


async def create(client: httpx.AsyncClient, key: str | None = None, **body: Any) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    r = await client.post("/api/v1/disputes", json={**intake_body(), **body}, headers=headers)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def test_each_action_is_its_own_operation_and_the_alias_announces_its_sunset(
    stack: Stack,
) -> None:
    officer = await stack.api("officer")
    case_id = await create(officer)
    await stack.assigned_to(case_id, OFFICER)

    # a follow-up's body sent to accept is refused naming the field
    r = await officer.post(
        f"/api/v1/disputes/{case_id}/accept", json={"done": "走访", "outcome": "progress"}
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["detail"]} == {"done", "outcome"}
    r = await officer.post(f"/api/v1/disputes/{case_id}/accept", json={"note": "马上到"})
    assert r.status_code == 200 and r.json()["stage"] == "follow_up"
    assert "deprecation" not in r.headers
    r = await officer.post(
        f"/api/v1/disputes/{case_id}/follow-up", json={"done": "上门调解", "outcome": "progress"}
    )
    assert r.status_code == 200, r.text
    r = await officer.post(f"/api/v1/disputes/{case_id}/decline", json={"reason": "  "})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason"

    r = await officer.post(
        f"/api/v1/disputes/{case_id}/actions/regrade",
        json={"colour": "yellow", "reason": "双方情绪平稳"},
    )
    assert r.status_code == 200 and r.json()["colour"] == "yellow"
    assert r.headers["deprecation"] == "@1796083200"
    assert r.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert r.headers["link"] == f'</api/v1/disputes/{case_id}/regrade>; rel="successor-version"'
    r = await officer.post(f"/api/v1/disputes/{case_id}/actions/approve-closure", json={})
    assert r.status_code == 409 and r.headers["sunset"]


async def test_a_created_case_is_readable_at_once_with_offsets_on_every_timestamp(
    stack: Stack,
) -> None:
    officer = await stack.api("officer")
    resident = await stack.api("resident")
    for client in (officer, resident, officer, resident):
        r = await client.post("/api/v1/disputes", json=intake_body(threats=True))
        assert r.status_code == 201, r.text
        assert r.headers["location"] == r.json()["url"]
        seen = await client.get(r.json()["url"])
        assert seen.status_code == 200, seen.text
        assert seen.json()["case_id"] == r.json()["case_id"]
    case_id = r.json()["case_id"]
    await stack.assigned_to(case_id, OFFICER)
    await officer.post(f"/api/v1/disputes/{case_id}/accept", json={})
    await officer.post(
        f"/api/v1/disputes/{case_id}/regrade", json={"colour": "green", "reason": "已缓和"}
    )
    answers = [
        (await officer.get(f"/api/v1/disputes/{case_id}")).json(),
        (await resident.get(f"/api/v1/disputes/{case_id}")).json(),
        (await officer.get("/api/v1/tasks")).json(),
    ]
    case = answers[0]
    assert case["timeline"] and case["colour_history"] and answers[1]["reported_at"]
    stamps = [t for a in answers for t in timestamps(a)]
    assert len(stamps) >= 5
    assert [t for t in stamps if not OFFSET.search(t)] == []


async def test_an_idempotency_key_with_another_body_is_refused(stack: Stack) -> None:
    officer = await stack.api("officer")
    case_id = await create(officer, key="create-1")
    assert await create(officer, key="create-1") == case_id
    r = await officer.post(
        "/api/v1/disputes",
        json={**intake_body(), "description": "另一件事"},
        headers={"Idempotency-Key": "create-1"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == "this Idempotency-Key was used with another request"

    await stack.assigned_to(case_id, OFFICER)
    await officer.post(f"/api/v1/disputes/{case_id}/accept", json={})
    url = f"/api/v1/disputes/{case_id}/follow-up"
    first = {"done": "走访", "outcome": "no_change"}
    r = await officer.post(url, json=first, headers={"Idempotency-Key": "fu-1"})
    assert r.status_code == 200
    r = await officer.post(url, json=first, headers={"Idempotency-Key": "fu-1"})
    assert r.status_code == 200
    r = await officer.post(
        url, json={**first, "outcome": "worse"}, headers={"Idempotency-Key": "fu-1"}
    )
    assert r.status_code == 409
    # the same key on another action, or through the alias with another body: refused too
    r = await officer.post(
        f"/api/v1/disputes/{case_id}/actions/follow-up",
        json={**first, "done": "电话回访"},
        headers={"Idempotency-Key": "fu-1"},
    )
    assert r.status_code == 409
    kinds = await stack.timeline_kinds(case_id)
    assert sum("follow" in k for k in kinds) == 1, kinds
    # another caller's key of the same name is theirs
    chief = await stack.api("station_chief")
    r = await chief.post(
        f"/api/v1/disputes/{case_id}/regrade",
        json={"colour": "red", "reason": "又有威胁"},
        headers={"Idempotency-Key": "fu-1"},
    )
    assert r.status_code == 200
