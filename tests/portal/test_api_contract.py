"""What /openapi.json promises about every operation: the statuses it can answer with one
problem schema, the roles that may call it, the OAuth2 password flow of the token endpoint,
and `Allow` on a 405 naming every method of the path."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import HTTPException

from services.portal.areas import _disputes_backend as backend
from services.portal.areas import disputes_api
from tests.portal.conftest import ACCOUNTS, PortalHarness
from workflows.disputes.types import DisputeIntake

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def api_operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{m.upper()} {p}": op
        for p, ops in doc["paths"].items()
        if p.startswith("/api/v1/")
        for m, op in ops.items()
    }


async def test_every_operation_documents_its_refusals_with_the_problem_schema(
    portal: PortalHarness,
) -> None:
    doc = (await portal.client().get("/openapi.json")).json()
    ops = api_operations(doc)
    for name, op in ops.items():
        statuses = op["responses"]
        for code, answer in statuses.items():
            if int(code) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                assert schema == (
                    {"$ref": "#/components/schemas/HTTPValidationError"}
                    if code == "422"
                    else PROBLEM
                ), name
        if op.get("security"):
            assert "401" in statuses, name
        if op.get("x-roles"):
            assert "403" in statuses and "Roles: " in op["description"], name
        if "{" in name:
            assert "404" in statuses, name
        if "requestBody" in op:
            assert {"400", "422"} <= set(statuses), name
    assert ops["POST /api/v1/disputes/{case_id}/accept"]["x-roles"] == [
        "admin",
        "officer",
        "station_chief",
    ]
    assert "429" in ops["POST /api/v1/auth/token"]["responses"]
    errors = doc["components"]["schemas"]["ValidationError"]
    assert errors["required"] == ["field", "reason", "type"]


async def test_token_endpoint_takes_the_oauth2_password_form(portal: PortalHarness) -> None:
    doc = (await portal.client().get("/openapi.json")).json()
    scheme = doc["components"]["securitySchemes"]["OAuth2Password"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert f"valid for {portal.settings.session_max_age_seconds} seconds" in scheme["description"]
    body = doc["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}

    c = portal.client()
    form = {"username": "officer", "password": ACCOUNTS["officer"].password}
    r = await c.post("/api/v1/auth/token", data={**form, "grant_type": "password"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = await c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["user_id"] == ACCOUNTS["officer"].user_id

    r = await c.post("/api/v1/auth/token", data=form)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "grant_type"
    r = await c.post("/api/v1/auth/token", data={**form, "grant_type": "client_credentials"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "grant_type"
    r = await c.post(
        "/api/v1/auth/token", data={**form, "password": "wrong", "grant_type": "password"}
    )
    assert r.status_code == 401
    r = await c.post(
        "/api/v1/auth/token", content=b"\xff{", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body"


async def test_a_405_names_every_method_of_the_path(portal: PortalHarness) -> None:
    client = await portal.api("resident")
    r = await client.request("OPTIONS", "/api/v1/notifications/preferences")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, PUT"
    r = await client.delete("/api/v1/disputes")
    assert (r.status_code, r.headers["allow"]) == (405, "POST")


async def test_a_case_still_registering_after_the_wait_is_answered_202(
    portal: PortalHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake disputes backend whose worker never registers the case: 202, not a 201 whose
    `url` would answer 404."""
    asked: list[str] = []

    async def start_case(clients: object, user: object, intake: DisputeIntake) -> str:
        return intake.case_id

    async def fetch_case(clients: object, user: object, case_id: str) -> None:
        asked.append(case_id)
        raise HTTPException(404, "no such case")

    monkeypatch.setattr(backend, "start_case", start_case)
    monkeypatch.setattr(backend, "fetch_case", fetch_case)
    monkeypatch.setattr(disputes_api, "REGISTRATION_WAIT_SECONDS", 0.3)
    resident = await portal.api("resident")
    village = ACCOUNTS["resident"].village  # a resident reports in their own village only
    body = {"category": "debt", "description": "借款未还", "village_code": village}
    r = await resident.post("/api/v1/disputes", json=body)
    assert r.status_code == 202
    case_id = r.json()["case_id"]
    assert r.headers["location"] == r.json()["url"] == f"/api/v1/disputes/{case_id}"
    assert r.headers["retry-after"] == "5"
    assert len(asked) > 1 and set(asked) == {case_id}
