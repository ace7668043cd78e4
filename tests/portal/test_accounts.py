"""Login, sessions, CSRF, logout, registration: what a browser sees and what the DB holds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.portal.api import create_app
from services.portal.models import UserRow, WebSession
from services.portal.web import SESSION_COOKIE
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness

RESIDENT = ACCOUNTS["resident"]


async def count(h: PortalHarness, stmt: object) -> int:
    async with h.runtime.factory() as s:
        return int((await s.execute(stmt)).scalar_one())  # type: ignore[call-overload]


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
async def test_login_by_username_and_by_phone(portal_factory: PortalFactory, db: str) -> None:
    async with portal_factory(db=db) as h:
        officer = await h.login("officer")
        page = (await officer.get("/")).text
        assert ACCOUNTS["officer"].display_name in page
        assert "社区民警" in page  # the role, in the default language

        resident = await h.login(RESIDENT.phone or "", password=RESIDENT.password)
        r = await resident.get("/profile")
        assert r.status_code == 200
        assert RESIDENT.display_name in r.text
        assert "139****0001" in r.text and "13900000001" not in r.text


async def test_wrong_password_is_refused_without_a_session(portal: PortalHarness) -> None:
    c = portal.client()
    r = await portal.post_form(c, "/login", {"login": "officer", "password": "nope-nope"})
    assert r.status_code == 401
    assert "账号或密码错误" in r.text
    assert (await c.get("/")).headers["location"] == "/login"
    assert await count(portal, select(func.count()).select_from(WebSession)) == 0


async def test_login_is_rate_limited_in_the_database(portal_factory: PortalFactory) -> None:
    async with portal_factory(login_rate_limit=3) as h:
        c = h.client()
        for _ in range(3):
            r = await h.post_form(c, "/login", {"login": "clerk", "password": "wrong-password"})
            assert r.status_code == 401
        r = await h.post_form(
            c, "/login", {"login": "clerk", "password": ACCOUNTS["clerk"].password}
        )
        assert r.status_code == 429
        assert "失败次数过多" in r.text
        api = await h.client().post(
            "/api/v1/auth/token", json={"username": "clerk", "password": ACCOUNTS["clerk"].password}
        )
        assert api.status_code == 429
        # Another account from another address is unaffected.
        assert (await h.login("officer")).cookies.get(SESSION_COOKIE)


async def test_session_id_rotates_at_login_and_old_value_is_dead(portal: PortalHarness) -> None:
    c = portal.client()
    await c.get("/login")
    before = c.cookies[SESSION_COOKIE]
    r = await portal.post_form(
        c, "/login", {"login": "chief", "password": ACCOUNTS["station_chief"].password}
    )
    assert r.status_code == 303
    after = c.cookies[SESSION_COOKIE]
    assert after != before
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # Logging in again replaces the session: the previous value no longer authenticates.
    r = await portal.post_form(
        c, "/login", {"login": "chief", "password": ACCOUNTS["station_chief"].password}
    )
    third = c.cookies[SESSION_COOKIE]
    assert third != after
    stale = portal.client()
    stale.cookies.set(SESSION_COOKIE, after)
    assert (await stale.get("/profile")).status_code == 303


async def test_secure_cookie_when_configured(portal_factory: PortalFactory) -> None:
    async with portal_factory(secure_cookies=True) as h:
        r = await h.client().get("/login")
        assert "secure" in r.headers["set-cookie"].lower()


@pytest.mark.parametrize("token", [None, "0" * 64])
async def test_csrf_missing_or_wrong_is_403_and_changes_nothing(
    portal: PortalHarness, token: str | None
) -> None:
    c = await portal.login("resident")
    data = {"language": "en", "next": "/"}
    if token is not None:
        data["csrf_token"] = token
    r = await c.post("/lang", data=data)
    assert r.status_code == 403
    async with portal.runtime.factory() as s:
        assert (await s.get(UserRow, RESIDENT.user_id)).language == "zh_CN"  # type: ignore[union-attr]
    anon = portal.client()
    await anon.get("/register")
    form = {"phone": "13911112222", "password": "long-enough-1", "display_name": "张三"}
    if token is not None:
        form["csrf_token"] = token
    assert (await anon.post("/register", data=form)).status_code == 403
    assert await count(portal, select(func.count()).where(UserRow.phone == "13911112222")) == 0


async def test_csrf_token_of_another_browser_is_refused(portal: PortalHarness) -> None:
    mine, theirs = await portal.login("resident"), portal.client()
    token = await portal.csrf(theirs)
    r = await mine.post("/lang", data={"language": "en", "csrf_token": token})
    assert r.status_code == 403


async def test_logout_ends_the_session(portal: PortalHarness) -> None:
    c = await portal.login("officer")
    old = c.cookies[SESSION_COOKIE]
    r = await portal.post_form(c, "/logout", {})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.cookies[SESSION_COOKIE] != old
    assert (await c.get("/profile")).status_code == 303
    replay = portal.client()
    replay.cookies.set(SESSION_COOKIE, old)
    assert (await replay.get("/profile")).headers["location"] == "/login?next=/profile"


async def test_registration_logs_in_and_duplicate_phone_is_422(portal: PortalHarness) -> None:
    c = portal.client()
    form = {
        "phone": "13922223333",
        "password": "long-enough-1",
        "display_name": "李梅",
        "village_code": RESIDENT.village or "",
    }
    r = await portal.register(c, form)
    assert r.status_code == 303
    home = await c.get("/")
    assert "李梅" in home.text and "村民" in home.text

    again = portal.client()
    r = await portal.post_form(again, "/register", {**form, "display_name": "冒名"})
    assert r.status_code == 422
    assert 'data-field="phone"' in r.text and "该手机号已注册" in r.text
    assert 'value="冒名"' in r.text  # the form keeps what was typed

    api = await portal.client().post(
        "/api/v1/auth/register", json={**form, "phone": RESIDENT.phone}
    )
    assert api.status_code == 422
    assert api.json()["detail"][0] == {
        "field": "phone",
        "reason": "already registered",
        "type": "value_error",
    }
    bad = await portal.client().post(
        "/api/v1/auth/register", json={**form, "phone": "12345", "password": "short"}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "phone"
    assert await count(portal, select(func.count()).where(UserRow.phone == "13922223333")) == 1


async def test_language_switch_is_stored_on_the_user(portal: PortalHarness) -> None:
    c = await portal.login("resident")
    r = await portal.post_form(c, "/lang", {"language": "en", "next": "/profile"})
    assert r.status_code == 303 and r.headers["location"] == "/profile"
    assert "Profile" in (await c.get("/profile")).text
    # A fresh login (another device) gets the stored preference.
    other = await portal.login("resident")
    page = (await other.get("/")).text
    assert "Hello, " in page and '<html lang="en">' in page


async def test_next_parameter_cannot_leave_the_site(portal: PortalHarness) -> None:
    c = portal.client()
    r = await portal.post_form(
        c,
        "/login",
        {"login": "admin", "password": ACCOUNTS["admin"].password, "next": "//evil.example/x"},
    )
    assert r.headers["location"] == "/"


async def test_rate_limit_holds_across_portal_processes(portal_factory: PortalFactory) -> None:
    """Two portal apps on one PostgreSQL database share the failure count."""
    async with portal_factory(db="postgresql", login_rate_limit=4) as h:
        second = create_app(h.settings, clients=h.clients)
        async with second.router.lifespan_context(second):
            other = PortalHarness(second, h.settings, h.clients)
            for harness in (h, other, h, other):
                c = harness.client()
                r = await harness.post_form(
                    c, "/login", {"login": "leader", "password": "bad-1234"}
                )
                assert r.status_code == 401
            for harness in (h, other):
                c = harness.client()
                right = ACCOUNTS["group_leader"].password
                r = await harness.post_form(c, "/login", {"login": "leader", "password": right})
                assert r.status_code == 429
            for c in other._opened:
                await c.aclose()


async def test_password_change_ends_other_sessions_and_tokens(portal: PortalHarness) -> None:
    phone, old_pw = RESIDENT.phone or "", RESIDENT.password
    here, elsewhere = await portal.login("resident"), await portal.login("resident")
    api = await portal.api("resident")
    wrong = await portal.post_form(
        here, "/profile/password", {"current_password": "nope", "new_password": "brand-new-pw"}
    )
    assert wrong.status_code == 422 and 'data-field="current_password"' in wrong.text
    short = await portal.post_form(
        here, "/profile/password", {"current_password": old_pw, "new_password": "short"}
    )
    assert short.status_code == 422 and "至少 8 个字符" in short.text
    common = await portal.post_form(
        here, "/profile/password", {"current_password": old_pw, "new_password": "password123"}
    )
    assert common.status_code == 422 and "常见密码" in common.text

    r = await portal.post_form(
        here, "/profile/password", {"current_password": old_pw, "new_password": "brand-new-pw"}
    )
    assert r.headers["location"] == "/profile?changed=1"
    assert "密码已修改" in (await here.get("/profile?changed=1")).text
    assert (await elsewhere.get("/profile")).status_code == 303
    assert (await api.get("/api/v1/me")).status_code == 401
    c = portal.client()
    old = await portal.post_form(c, "/login", {"login": phone, "password": old_pw})
    assert old.status_code == 401
    assert (await portal.login(phone, password="brand-new-pw")).cookies.get(SESSION_COOKIE)
