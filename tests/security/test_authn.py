"""Issue 14, authentication: wrong passwords slow the guesser and never lock the owner out;
X-Forwarded-For counts only from configured proxies; argon2 runs off the event loop; a login
name cannot forge a log line."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.portal.credentials import aware
from services.portal.login import BASE_DELAY, MAX_DELAY, delay_after
from services.portal.models import AuditEntry, LoginAttempt, outbox
from services.portal.passwords import hash_async, verify_async
from shared.auth import hash_password
from shared.logs import MaskingFilter
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness, portal_factory

__all__ = ["portal_factory"]  # the portal's fixture, used here
CLERK = ACCOUNTS["clerk"]


async def attempt(h: PortalHarness, ip: str, password: str, login: str = "clerk") -> int:
    c = h.client(ip=ip)
    r = await h.post_form(c, "/login", {"login": login, "password": password})
    return r.status_code


def test_delays_double_from_30_seconds_up_to_15_minutes() -> None:
    assert [delay_after(n, 3) for n in (0, 2)] == [timedelta(0)] * 2
    assert [delay_after(n, 3).total_seconds() for n in (3, 4, 5, 6)] == [30, 60, 120, 240]
    assert delay_after(40, 3) == MAX_DELAY == timedelta(minutes=15)
    assert timedelta(seconds=30) == BASE_DELAY


async def test_strangers_failing_do_not_lock_the_owner_out(portal_factory: PortalFactory) -> None:
    """Found: 10 wrong passwords from any addresses locked the right password out too."""
    async with portal_factory(login_rate_limit=3) as h:
        home = "203.0.113.10"
        assert await attempt(h, home, CLERK.password) == 303  # the owner's usual address
        for i in range(3):  # an attacker rotating addresses
            assert await attempt(h, f"198.51.100.{20 + i}", "guess-guess-1") == 401
        # Any new address now waits before a try is even looked at: the guesser is slowed...
        assert [await attempt(h, f"192.0.2.{i}", "guess-guess-2") for i in range(5)] == [429] * 5
        assert await attempt(h, "192.0.2.99", CLERK.password) == 429
        # ...and the owner, at home, logs in as usual.
        assert await attempt(h, home, CLERK.password) == 303, "owner locked out"
        # The owner was told, once, through the notifications path (an event in the outbox).
        async with h.runtime.factory() as s:
            bodies = (
                await s.execute(
                    select(outbox.c.body).where(outbox.c.routing_key == "account.login_throttled")
                )
            ).scalars()
            notices = list(bodies)
        assert [b["account_id"] for b in notices] == [CLERK.user_id]
        assert notices[0]["failures"] >= 3


async def test_one_address_waits_longer_after_each_failure(portal_factory: PortalFactory) -> None:
    async with portal_factory(login_rate_limit=2) as h:
        ip = "198.51.100.50"
        assert [await attempt(h, ip, "nope-nope-1") for _ in range(2)] == [401, 401]
        c = h.client(ip=ip)
        r = await h.post_form(c, "/login", {"login": "clerk", "password": CLERK.password})
        assert r.status_code == 429 and "失败次数过多" in r.text
        assert 1 <= int(r.headers["retry-after"]) <= 31
        api = await h.client(ip=ip).post(
            "/api/v1/auth/token", json={"username": "clerk", "password": CLERK.password}
        )
        assert api.status_code == 429 and int(api.headers["retry-after"]) <= 31

        async def age(seconds: int) -> None:  # time passes for the attempts on record
            async with h.runtime.factory() as s, s.begin():
                for row in (await s.execute(select(LoginAttempt))).scalars():
                    row.attempted_at = aware(row.attempted_at) - timedelta(seconds=seconds)

        await age(31)
        assert await attempt(h, ip, "nope-nope-2") == 401  # allowed again, and counted
        r = await h.post_form(h.client(ip=ip), "/login", {"login": "clerk", "password": "x"})
        assert r.status_code == 429 and 31 < int(r.headers["retry-after"]) <= 61
        await age(61)
        assert await attempt(h, ip, CLERK.password) == 303
        # Attempts made while waiting were not counted: only the three real failures are.
        async with h.runtime.factory() as s:
            keys = (await s.execute(select(LoginAttempt.key))).scalars().all()
        assert sorted(k.split(":")[0] for k in keys) == ["id"] * 3 + ["ip"] * 3


async def test_forwarded_for_is_believed_only_from_configured_proxies(
    portal_factory: PortalFactory,
) -> None:
    """Found: X-Forwarded-For was trusted from any client (a guesser picks a new address)."""
    async with portal_factory(login_rate_limit=2, trusted_proxies=["10.0.0.0/8"]) as h:
        for n in range(3):
            c = h.client(ip="198.51.100.60")
            c.headers["X-Forwarded-For"] = f"192.0.2.{n}"
            await h.post_form(c, "/login", {"login": "leader", "password": "nope-nope-1"})
        async with h.runtime.factory() as s:
            attempts = select(AuditEntry.ip).where(
                AuditEntry.action.in_(("login.failed", "login.locked"))
            )
            ips = set((await s.execute(attempts)).scalars())
        assert ips == {"198.51.100.60"}, "a client chose its own address"

        proxied = h.client(ip="10.1.2.3")
        proxied.headers["X-Forwarded-For"] = "192.0.2.200, 10.9.9.9"
        await h.post_form(proxied, "/login", {"login": "leader", "password": "nope-nope-1"})
        async with h.runtime.factory() as s:
            last = (
                await s.execute(select(AuditEntry.ip).order_by(AuditEntry.id.desc()).limit(1))
            ).scalar_one()
        assert last == "192.0.2.200"  # the client behind our proxy, not the proxy


async def test_argon2_runs_off_the_event_loop() -> None:
    """Found: 10 correct logins pushed another user's /me from 5 ms to 87 ms (hashing on the
    loop). While a hash is being verified, the loop keeps running other coroutines."""
    stored = hash_password("Fq-some-password-1")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    assert await verify_async(stored, "Fq-some-password-1")
    assert (await hash_async("another-one-2")).startswith("$argon2id$")
    task.cancel()
    assert ticks > 10


def test_a_login_name_cannot_forge_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """Found: a newline in a login name started a forged line in the text logs."""
    record = logging.LogRecord(
        "fengqiao.portal.accounts",
        logging.INFO,
        __file__,
        1,
        "login failed for %s from %s",
        ("x\n2026-12-01 INFO portal: login ok for admin", "198.51.100.7"),
        None,
    )
    MaskingFilter().filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert "\n" not in text and "\\n2026-12-01 INFO" in text
