"""Issue 14, registration: the phone is proven by a code sent by SMS (hashed, expiring, five
tries), one number has one spelling (ASCII digits only), weak passwords and invisible
characters in names are refused, and the village must exist."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from services.notifications.sink.app import SinkMessage
from services.portal.credentials import aware
from services.portal.models import PendingRegistration, UserRow
from services.portal.signup import MAX_ATTEMPTS
from tests.helpers import eventually
from tests.notifications.conftest import ServiceFactory, Sink, sink, start_service
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness, portal, portal_factory
from tests.portal.disputes.conftest import Stack, stack

__all__ = ["portal", "portal_factory", "sink", "stack", "start_service"]  # fixtures used here

VILLAGE = ACCOUNTS["resident"].village or ""
FORM = {
    "phone": "13955556666",
    "password": "long-enough-1",
    "display_name": "马小花",
    "village_code": VILLAGE,
}


async def accounts_with(h: PortalHarness, phone: str) -> int:
    async with h.runtime.factory() as s:
        stmt = select(func.count()).where(UserRow.phone == phone)
        return int((await s.execute(stmt)).scalar_one())


def registration_id(page: str) -> str:
    m = re.search(r'name="registration_id" value="([^"]+)"', page)
    assert m, "no confirmation form"
    return m.group(1)


async def test_no_account_without_the_code_from_the_sms(portal: PortalHarness) -> None:
    """Found: registration needed no proof of owning the phone."""
    c = portal.client()
    r = await portal.post_form(c, "/register", FORM)
    assert r.status_code == 200 and "139****6666" in r.text
    code = await portal.sent_code(FORM["phone"])
    assert code not in r.text and await accounts_with(portal, FORM["phone"]) == 0
    async with portal.runtime.factory() as s:
        row = (await s.execute(select(PendingRegistration))).scalar_one()
    assert code not in row.code_hash and len(row.code_hash) == 64  # only an HMAC is kept
    assert row.password_hash.startswith("$argon2id$")

    rid = registration_id(r.text)
    wrong = "000000" if code != "000000" else "111111"
    bad = await portal.post_form(c, "/register/confirm", {"registration_id": rid, "code": wrong})
    assert bad.status_code == 422 and "验证码错误" in bad.text
    ok = await portal.post_form(c, "/register/confirm", {"registration_id": rid, "code": code})
    assert ok.status_code == 303
    assert "马小花" in (await c.get("/")).text
    assert await accounts_with(portal, FORM["phone"]) == 1
    again = await portal.post_form(c, "/register/confirm", {"registration_id": rid, "code": code})
    assert again.status_code == 422  # a code works once


async def test_five_wrong_codes_end_the_registration(portal: PortalHarness) -> None:
    api = portal.client()
    r = await api.post("/api/v1/auth/register", json=FORM)
    assert r.status_code == 202 and r.json()["phone"] == "139****6666"
    rid = r.json()["registration_id"]
    code = await portal.sent_code(FORM["phone"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(MAX_ATTEMPTS):
        bad = await api.post(
            "/api/v1/auth/register/confirm", json={"registration_id": rid, "code": wrong}
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "code"
    late = await api.post(
        "/api/v1/auth/register/confirm", json={"registration_id": rid, "code": code}
    )
    assert late.status_code == 422
    assert late.json()["detail"][0]["reason"] == "too many wrong codes; register again"
    assert await accounts_with(portal, FORM["phone"]) == 0


async def test_an_expired_code_is_refused(portal: PortalHarness) -> None:
    api = portal.client()
    rid = (await api.post("/api/v1/auth/register", json=FORM)).json()["registration_id"]
    code = await portal.sent_code(FORM["phone"])
    async with portal.runtime.factory() as s, s.begin():
        row = await s.get(PendingRegistration, rid)
        assert row is not None
        row.expires_at = aware(row.expires_at) - timedelta(minutes=11)
    r = await api.post("/api/v1/auth/register/confirm", json={"registration_id": rid, "code": code})
    assert r.status_code == 422
    assert r.json()["detail"][0]["reason"] == "the code has expired; register again"
    assert await accounts_with(portal, FORM["phone"]) == 0


async def test_codes_per_number_are_limited(portal: PortalHarness) -> None:
    for n in range(3):
        r = await portal.client(ip=f"192.0.2.{n}").post("/api/v1/auth/register", json=FORM)
        assert r.status_code == 202
    r = await portal.client(ip="192.0.2.9").post("/api/v1/auth/register", json=FORM)
    assert r.status_code == 422 and "too many codes" in r.json()["detail"][0]["reason"]


async def test_phones_are_ascii_digits_only(portal: PortalHarness) -> None:
    """Found: full-width and other digits passed and got around one account per number."""
    for phone in (
        "１３９５５５５６６６６",  # full-width digits
        "١٣٩٥٥٥٥٦٦٦٦",  # Arabic-Indic digits
        "13955556666\u200b",  # a zero-width space after it
        "1395555666",
    ):
        r = await portal.client().post("/api/v1/auth/register", json={**FORM, "phone": phone})
        assert r.status_code == 422, phone
        assert r.json()["detail"][0]["field"] == "phone"


async def test_a_phone_with_spaces_is_the_same_number(portal: PortalHarness) -> None:
    taken = ACCOUNTS["resident"].phone or ""
    spaced = f"+86 {taken[:3]} {taken[3:7]} {taken[7:]}"
    r = await portal.client().post("/api/v1/auth/register", json={**FORM, "phone": spaced})
    assert r.status_code == 422 and r.json()["detail"][0]["reason"] == "already registered"
    # and the owner may type it that way to log in
    full_width = taken.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    login = await portal.client().post(
        "/api/v1/auth/token",
        json={"username": spaced, "password": ACCOUNTS["resident"].password},
    )
    assert login.status_code == 200
    assert full_width != taken


WEAK = [
    ("12345678", "too common"),
    ("        ", "not one repeated character"),
    ("aaaaaaaaaaaa", "not one repeated character"),
    ("woaini1314", "too common"),
    ("13955556666", "must differ from your login"),
    ("short", "at least 8 characters"),
]
INVISIBLE = ["马\x00小花", "马\u200b小花", "\u202e花小马", "马小花\u2066", "马\n小花"]


async def test_weak_passwords_are_refused(portal: PortalHarness) -> None:
    """Found: `12345678` or eight spaces were accepted as passwords."""
    for password, reason in WEAK:
        r = await portal.client().post("/api/v1/auth/register", json={**FORM, "password": password})
        assert r.status_code == 422, password
        [err] = r.json()["detail"]
        assert err["field"] == "password" and err["reason"].startswith(reason), err


async def test_invisible_and_direction_characters_in_names_are_refused(
    portal: PortalHarness,
) -> None:
    """Found: display names accepted NUL, zero-width and right-to-left override characters."""
    for name in INVISIBLE:
        r = await portal.client().post("/api/v1/auth/register", json={**FORM, "display_name": name})
        assert r.status_code == 422, repr(name)
        [err] = r.json()["detail"]
        assert err["field"] == "display_name" and "invisible" in err["reason"]


async def test_unknown_village_is_refused(stack: Stack) -> None:
    """Found: an unknown village code was accepted. The disputes service's directory decides."""
    h = stack.portal
    c = h.client()
    page = await c.get("/register")
    assert f'value="{VILLAGE}"' in page.text  # the villages are offered to choose from
    r = await h.post_form(c, "/register", {**FORM, "village_code": "NOWHERE01"})
    assert r.status_code == 422 and 'data-field="village_code"' in r.text
    assert "没有这个村代码" in r.text
    ok = await h.register(h.client(), FORM)
    assert ok.status_code == 303
    assert await accounts_with(h, FORM["phone"]) == 1


async def test_the_code_reaches_that_number_by_sms_over_the_broker(
    portal_factory: PortalFactory,
    start_service: ServiceFactory,
    sink: Sink,
    sqlite_url: Callable[[str], str],
) -> None:
    """Portal -> outbox -> RabbitMQ -> notifications -> SMS gateway (the demo sink), to the
    number being registered (no recipient row exists for someone not yet registered); the
    owner of an account under attack is told the same way."""
    await start_service(sqlite_url("notifications"))
    async with portal_factory(login_rate_limit=2) as h:
        c = h.client()
        page = await h.post_form(c, "/register", FORM)
        code = await h.sent_code(FORM["phone"])

        async def sms() -> list[SinkMessage]:
            return sink.received("sms", FORM["phone"])

        [message] = await eventually(sms)
        assert code in message.body and "验证码" in message.body
        r = await h.post_form(
            c, "/register/confirm", {"registration_id": registration_id(page.text), "code": code}
        )
        assert r.status_code == 303

        for n in range(2):
            await h.post_form(
                h.client(ip=f"192.0.2.{n}"),
                "/login",
                {"login": FORM["phone"], "password": "guess-guess-1"},
            )

        async def notice() -> list[SinkMessage]:
            return [m for m in sink.received("sms", FORM["phone"]) if "密码输错" in m.body]

        assert await eventually(notice)


async def test_every_phone_field_takes_ascii_digits_only(portal: PortalHarness) -> None:
    """A home visit's contact phone, like a party's, is refused with other digits."""
    resident = await portal.api("resident")
    body = {"service_code": "hukou", "reason": "elderly", "phone": "１３９５５５５６６６６"}
    r = await resident.post("/api/v1/home-visits", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "phone"
