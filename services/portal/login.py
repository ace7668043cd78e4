"""Password login under throttling that slows an attacker without locking the owner out.

Failures are counted in the database (every portal process shares them) under three keys:
the account from this address (`pair:`), the address across accounts (`ip:`) and the account
from anywhere (`id:`). Past a key's free failures, the next attempt waits a delay that doubles
with every further failure (30 s, 1 min, 2 min ... at most 15 min). The account-wide key does
not apply to addresses the owner logged in from before, so a stranger failing on purpose
slows only themself; the owner gets a notice the first time the account-wide count is passed.
An attempt made while waiting checks no password and counts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.portal.credentials import aware, now
from services.portal.inputs import normalise_phone
from services.portal.models import AuditEntry, LoginAttempt, UserRow, outbox
from services.portal.passwords import hash_async, needs_rehash, verify_async
from services.portal.service import FieldError, audit, audit_once_within, find_login
from shared.auth import hash_password
from shared.db import transaction
from shared.messaging.contracts.users import LoginThrottled
from shared.messaging.outbox import add_event
from shared.pii import mask_text

log = logging.getLogger("fengqiao.portal.accounts")

WINDOW = timedelta(hours=1)  # failures older than this are forgotten
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
KNOWN_ADDRESS_DAYS = 90
ADDRESS_FACTOR = 3  # one address may fail this many times the per-account allowance
# A dummy hash so that an unknown login costs as much time as a wrong password.
_DUMMY_HASH = hash_password("fengqiao-dummy-password-for-timing")


@dataclass(frozen=True)
class LoginResult:
    user: UserRow | None
    locked: bool = False
    retry_after: int = 0  # seconds until the next attempt is looked at


def login_key(login: str) -> str:
    """One spelling per account: a phone typed with full-width digits or spaces is the phone."""
    raw = login.strip()
    try:
        return normalise_phone(raw)
    except FieldError:
        return raw.lower()


def delay_after(failures: int, free: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    delay: timedelta = BASE_DELAY * (2 ** min(failures - free, 20))
    return min(delay, MAX_DELAY)


async def _state(session: AsyncSession, key: str, since: datetime) -> tuple[int, datetime | None]:
    stmt = select(func.count(), func.max(LoginAttempt.attempted_at)).where(
        LoginAttempt.key == key, LoginAttempt.attempted_at >= since
    )
    count, last = (await session.execute(stmt)).one()
    return int(count), aware(last) if last is not None else None


async def _known_address(session: AsyncSession, user_id: str, ip: str | None) -> bool:
    if not ip:
        return False
    stmt = (
        select(AuditEntry.id)
        .where(
            AuditEntry.actor_id == user_id,
            AuditEntry.ip == ip,
            AuditEntry.action.in_(("login.ok", "token.issued")),
            AuditEntry.at >= now() - timedelta(days=KNOWN_ADDRESS_DAYS),
        )
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def authenticate(
    factory: async_sessionmaker[AsyncSession],
    *,
    login: str,
    password: str,
    ip: str | None,
    limit: int,
) -> LoginResult:
    """Check a password under the throttle; `limit` = free failures per account.

    The hash is checked with no database connection held: a burst of logins waits for the
    argon2 threads, not for the connection pool every other request needs."""
    ident = login_key(login)
    t = now()
    since = t - WINDOW
    async with factory() as session:
        user = await find_login(session, ident if ident.isdigit() else login.strip())
        who = user.user_id if user is not None else ident  # one key whatever was typed
        pair_key, account_key = f"pair:{who}|{ip}", f"id:{who}"
        checks = [(pair_key, limit)]
        if ip:
            checks.append((f"ip:{ip}", limit * ADDRESS_FACTOR))
        if user is None or not await _known_address(session, user.user_id, ip):
            checks.append((account_key, limit))
        wait = timedelta(0)
        for key, free in checks:
            count, last = await _state(session, key, since)
            if last is not None:
                wait = max(wait, last + delay_after(count, free) - t)
    if wait > timedelta(0):
        log.warning("login throttled for %s from %s", mask_text(ident), ip)
        async with transaction(factory) as session:
            await audit(session, action="login.locked", subject=mask_text(ident), ip=ip)
        return LoginResult(None, locked=True, retry_after=int(wait.total_seconds()) + 1)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    ok = await verify_async(stored, password)
    if user is None or not user.active or not user.password_hash or not ok:
        async with transaction(factory) as session:
            await session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
            for key in (pair_key, account_key, *([f"ip:{ip}"] if ip else [])):
                session.add(LoginAttempt(key=key, attempted_at=t))
            log.info("login failed for %s from %s", mask_text(ident), ip)
            await audit(session, action="login.failed", subject=mask_text(ident), ip=ip)
            if user is not None:
                await _tell_owner(session, user, since, limit)
        return LoginResult(None)
    rehashed = await hash_async(password) if needs_rehash(user.password_hash) else None
    async with transaction(factory) as session:
        if rehashed is not None:
            row = await session.get(UserRow, user.user_id)
            if row is not None:
                row.password_hash = rehashed
        await session.execute(delete(LoginAttempt).where(LoginAttempt.key == pair_key))
    log.info("login ok for %s", user.user_id)
    return LoginResult(user)


async def _tell_owner(session: AsyncSession, user: UserRow, since: datetime, limit: int) -> None:
    """Once per window, when the account-wide failures reach the free allowance."""
    await session.flush()
    failures, _ = await _state(session, f"id:{user.user_id}", since)
    if failures < limit:
        return
    told = await audit_once_within(
        session,
        action="login.owner_notified",
        actor_id=user.user_id,
        subject=user.user_id,
        detail={"failures": failures},
        limit=1,
        window=WINDOW,
    )
    if told:
        await add_event(session, outbox, LoginThrottled(account_id=user.user_id, failures=failures))
        log.warning("account %s: %d failed logins, owner notified", user.user_id, failures)
