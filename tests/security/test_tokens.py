"""Issue 14, tokens and sessions: revocable (API logout, one by one from the profile, sign out
everywhere), listed on the profile page, nobody else's revocable."""

from __future__ import annotations

from sqlalchemy import select

from services.portal.models import ApiToken
from tests.portal.conftest import PortalHarness, portal, portal_factory

__all__ = ["portal", "portal_factory"]  # fixtures used here


async def test_api_logout_revokes_the_token(portal: PortalHarness) -> None:
    """Found: bearer tokens could not be revoked (web logout left them valid for 8 hours)."""
    api = await portal.api("officer")
    assert (await api.get("/api/v1/me")).status_code == 200
    assert (await api.post("/api/v1/auth/logout")).status_code == 204
    assert (await api.get("/api/v1/me")).status_code == 401


async def test_profile_lists_sessions_and_tokens_and_revokes_one(portal: PortalHarness) -> None:
    browser = await portal.login("resident")
    api = await portal.api("resident")
    page = (await browser.get("/profile")).text
    assert page.count('data-kind="session"') == 1 and page.count('data-kind="token"') == 1
    assert "当前浏览器" in page and "在所有设备上退出登录" in page
    async with portal.runtime.factory() as s:
        handle = (await s.execute(select(ApiToken.token_hash))).scalar_one()
    r = await portal.post_form(browser, "/profile/revoke", {"kind": "token", "handle": handle})
    assert r.status_code == 303 and r.headers["location"] == "/profile?revoked=1"
    assert (await api.get("/api/v1/me")).status_code == 401
    assert (await browser.get("/profile")).status_code == 200  # the browser stays signed in


async def test_nobody_revokes_another_persons_token(portal: PortalHarness) -> None:
    victim = await portal.api("officer")
    listed = (await victim.get("/api/v1/auth/credentials")).json()
    [mine] = [c for c in listed if c["kind"] == "token"]
    attacker = await portal.api("resident")
    r = await attacker.delete(f"/api/v1/auth/credentials/token/{mine['handle']}")
    assert r.status_code == 404
    assert (await victim.get("/api/v1/me")).status_code == 200
    assert (
        await victim.delete(f"/api/v1/auth/credentials/token/{mine['handle']}")
    ).status_code == 204
    assert (await victim.get("/api/v1/me")).status_code == 401


async def test_sign_out_everywhere_ends_every_session_and_token(portal: PortalHarness) -> None:
    here, there = await portal.login("clerk"), await portal.login("clerk")
    api = await portal.api("clerk")
    r = await portal.post_form(here, "/profile/sign-out-everywhere", {})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert (await here.get("/profile")).status_code == 303
    assert (await there.get("/profile")).status_code == 303
    assert (await api.get("/api/v1/me")).status_code == 401
    other = await portal.api("clerk")
    assert (await other.post("/api/v1/auth/sign-out-everywhere")).status_code == 204
    assert (await other.get("/api/v1/me")).status_code == 401


async def test_web_logout_ends_the_session(portal: PortalHarness) -> None:
    c = await portal.login("officer")
    assert (await portal.post_form(c, "/logout", {})).status_code == 303
    assert (await c.get("/profile")).status_code == 303
