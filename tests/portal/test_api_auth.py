"""The JSON API: bearer tokens, 401/403/404/422 shapes, role checks, OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from services.portal.models import ApiToken
from services.portal.service import digest
from tests.portal.conftest import ACCOUNTS, PortalHarness


async def test_token_by_username_and_phone_then_me(portal: PortalHarness) -> None:
    r = await portal.client().post(
        "/api/v1/auth/token",
        json={"username": "officer", "password": ACCOUNTS["officer"].password},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["role"] == "officer"
    me = await portal.client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["user_id"] == ACCOUNTS["officer"].user_id

    resident = await portal.api("13900000001", password=ACCOUNTS["resident"].password)
    me = (await resident.get("/api/v1/me")).json()
    assert me["user_id"] == "res-demo-0001"
    assert me["phone"] == "139****0001"


async def test_api_without_valid_token_is_401_json(portal: PortalHarness) -> None:
    c = portal.client()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        r = await c.get("/api/v1/me", headers=headers)
        assert r.status_code == 401
        assert r.json() == {"detail": "authentication required"}
        assert r.headers["www-authenticate"] == "Bearer"
    bad = await c.post(
        "/api/v1/auth/token", json={"username": "officer", "password": "wrong-password"}
    )
    assert bad.status_code == 401 and bad.json()["detail"] == "wrong login or password"


async def test_session_cookie_does_not_authenticate_the_api(portal: PortalHarness) -> None:
    browser = await portal.login("admin")
    assert (await browser.get("/admin/audit")).status_code == 200
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_expired_token_is_refused(portal: PortalHarness) -> None:
    token = await portal.token("clerk")
    async with portal.runtime.factory() as s, s.begin():
        await s.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == digest(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    r = await portal.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_role_checks_on_api_and_pages(portal: PortalHarness) -> None:
    admin = await portal.api("admin")
    entries = (await admin.get("/api/v1/audit", params={"action": "token."})).json()
    assert [e["action"] for e in entries] == ["token.issued"]
    assert entries[0]["actor_id"] == "admin-0001"
    for role in ("resident", "officer", "station_chief", "clerk"):
        api = await portal.api(role)
        r = await api.get("/api/v1/audit")
        assert r.status_code == 403 and r.json() == {"detail": "not allowed for your role"}
        page = await (await portal.login(role)).get("/admin/audit")
        assert page.status_code == 403
        assert "您无权查看此页面" in page.text
    assert (await portal.client().get("/admin/audit")).headers["location"] == (
        "/login?next=/admin/audit"
    )


async def test_validation_errors_name_field_and_reason(portal: PortalHarness) -> None:
    admin = await portal.api("admin")
    r = await admin.get("/api/v1/audit", params={"limit": 0})
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["field"] == "limit" and "greater than or equal to 1" in err["reason"]
    r = await portal.client().post("/api/v1/auth/token", json={"username": "x"})
    assert r.json()["detail"][0]["field"] == "password"


async def test_unknown_paths_are_404_in_both_shapes(portal: PortalHarness) -> None:
    c = await portal.login("resident")
    page = await c.get("/no/such/page")
    assert page.status_code == 404 and "页面不存在" in page.text
    await portal.post_form(c, "/lang", {"language": "en"})
    page = await c.get("/no/such/page")
    assert page.status_code == 404 and "This page does not exist." in page.text
    api = await (await portal.api("resident")).get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


async def test_openapi_documents_bearer_auth(portal: PortalHarness) -> None:
    spec = (await portal.client().get("/openapi.json")).json()
    assert "/api/v1/auth/token" in spec["paths"]
    assert "/login" not in spec["paths"]  # HTML pages stay out of the API description
    schemes = spec["components"]["securitySchemes"]
    # the OAuth2 password flow: /docs' Authorize button gets a token, sent as Bearer
    assert schemes["OAuth2Password"]["type"] == "oauth2"
    assert "Authorization: Bearer" in schemes["OAuth2Password"]["description"]
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"OAuth2Password": []}]
