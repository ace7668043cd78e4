"""Domain logic of the portal: accounts, sessions, tokens, login limits, audit (no FastAPI here)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import ApiToken, AuditEntry, LoginAttempt, UserRow, WebSession, outbox
from shared.auth import hash_password, needs_rehash, verify_password
from shared.i18n import LANGUAGE_TAGS, LOCALES
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.outbox import add_event
from shared.pii import mask_text

log = logging.getLogger("fengqiao.portal.accounts")

ROLES = ("resident", "officer", "station_chief", "group_leader", "clerk", "admin")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD = 8
LOGIN_WINDOW = timedelta(minutes=15)
# A dummy hash so that an unknown login costs as much time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class FieldError(Exception):
    """Bad input on one field; adapters turn it into a 422 naming the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def user_event(row: UserRow) -> UserUpserted:
    return UserUpserted(
        user_id=row.user_id,
        role=row.role,
        display_name=row.display_name,
        phone=row.phone,
        email=row.email,
        language=LANGUAGE_TAGS.get(row.language, "zh-CN"),
        village_code=row.village_code,
        station_code=row.station_code,
        police_room_code=row.police_room_code,
    )


async def publish_user(session: AsyncSession, row: UserRow) -> None:
    """Queue `user.upserted` in the same transaction as the change (never the password)."""
    await session.flush()
    await add_event(session, outbox, user_event(row))


async def audit(
    session: AsyncSession,
    *,
    action: str,
    actor_id: str | None = None,
    subject: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now(), actor_id=actor_id, action=action, subject=subject, ip=ip, detail=detail or {}
        )
    )


async def find_login(session: AsyncSession, login: str) -> UserRow | None:
    login = login.strip()
    if not login:
        return None
    stmt = select(UserRow).where(or_(UserRow.username == login, UserRow.phone == login))
    return (await session.execute(stmt)).scalars().first()


async def get_user(session: AsyncSession, user_id: str) -> UserRow | None:
    return await session.get(UserRow, user_id)


async def recent_audit(
    session: AsyncSession, *, limit: int = 100, action_prefix: str | None = None
) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(action_prefix))
    return list((await session.execute(stmt)).scalars())


async def audit_once_within(
    session: AsyncSession,
    *,
    action: str,
    actor_id: str,
    subject: str,
    detail: dict[str, Any],
    limit: int,
    window: timedelta,
) -> bool:
    """Audit the action unless the actor already did it `limit` times within `window`."""
    since = now() - window
    stmt = select(func.count()).where(
        AuditEntry.actor_id == actor_id, AuditEntry.action == action, AuditEntry.at >= since
    )
    if int((await session.execute(stmt)).scalar_one()) >= limit:
        return False
    await audit(session, action=action, actor_id=actor_id, subject=subject, detail=detail)
    return True


@dataclass(frozen=True)
class LoginResult:
    user: UserRow | None
    locked: bool = False


async def _failures(session: AsyncSession, key: str, since: datetime) -> int:
    stmt = select(func.count()).where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)
    return int((await session.execute(stmt)).scalar_one())


async def authenticate(
    session: AsyncSession, *, login: str, password: str, ip: str | None, limit: int
) -> LoginResult:
    """Check a password under the login rate limit (failures counted in the database).

    `limit` failures for one login, or 3x as many from one address, within LOGIN_WINDOW lock
    further attempts until the window moves on; a locked attempt does not even check the hash.
    """
    ident = login.strip().lower()
    keys = [f"id:{ident}"] + ([f"ip:{ip}"] if ip else [])
    since = now() - LOGIN_WINDOW
    if await _failures(session, keys[0], since) >= limit or (
        ip and await _failures(session, keys[1], since) >= limit * 3
    ):
        log.warning("login locked for %s from %s", mask_text(ident), ip)
        await audit(session, action="login.locked", subject=mask_text(ident), ip=ip)
        return LoginResult(None, locked=True)
    user = await find_login(session, login)
    ok = verify_password(
        user.password_hash if user and user.password_hash else _DUMMY_HASH, password
    )
    if user is None or not user.active or not user.password_hash or not ok:
        await session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
        for key in keys:
            session.add(LoginAttempt(key=key, attempted_at=now()))
        log.info("login failed for %s from %s", mask_text(ident), ip)
        await audit(session, action="login.failed", subject=mask_text(ident), ip=ip)
        return LoginResult(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
    log.info("login ok for %s", user.user_id)
    return LoginResult(user)


async def create_web_session(session: AsyncSession, *, user_id: str, max_age: int) -> str:
    """A fresh session id, never reused (the rotation at login); returns the cookie value."""
    value = new_secret()
    t = now()
    session.add(
        WebSession(
            id_hash=digest(value),
            user_id=user_id,
            created_at=t,
            expires_at=t + timedelta(seconds=max_age),
        )
    )
    await session.execute(delete(WebSession).where(WebSession.expires_at < t))
    return value


async def session_user(session: AsyncSession, cookie_value: str) -> UserRow | None:
    stmt = (
        select(WebSession, UserRow)
        .join(UserRow, UserRow.user_id == WebSession.user_id)
        .where(WebSession.id_hash == digest(cookie_value))
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    ws, user = row
    if _aware(ws.expires_at) < now() or not user.active:
        return None
    return user


async def end_web_session(session: AsyncSession, cookie_value: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id_hash == digest(cookie_value)))


async def issue_token(session: AsyncSession, *, user_id: str, ttl: int) -> tuple[str, datetime]:
    value = new_secret()
    t = now()
    expires = t + timedelta(seconds=ttl)
    session.add(
        ApiToken(token_hash=digest(value), user_id=user_id, created_at=t, expires_at=expires)
    )
    await session.execute(delete(ApiToken).where(ApiToken.expires_at < t))
    return value, expires


async def token_user(session: AsyncSession, token: str) -> UserRow | None:
    stmt = (
        select(ApiToken, UserRow)
        .join(UserRow, UserRow.user_id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(token))
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    tok, user = row
    if _aware(tok.expires_at) < now() or not user.active:
        return None
    return user


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise FieldError("password", f"at least {MIN_PASSWORD} characters")


async def register_resident(
    session: AsyncSession,
    *,
    phone: str,
    password: str,
    display_name: str,
    village_code: str | None,
    language: str,
    ip: str | None = None,
) -> UserRow:
    phone = phone.strip()
    display_name = display_name.strip()
    if not PHONE_RE.match(phone):
        raise FieldError("phone", "not a mobile phone number (11 digits starting with 1)")
    if not display_name:
        raise FieldError("display_name", "required")
    check_password(password)
    taken = select(UserRow.user_id).where(or_(UserRow.phone == phone, UserRow.username == phone))
    if (await session.execute(taken)).first() is not None:
        raise FieldError("phone", "already registered")
    row = UserRow(
        user_id=f"res-{uuid.uuid4().hex[:12]}",
        username=phone,
        phone=phone,
        password_hash=hash_password(password),
        role="resident",
        display_name=display_name[:128],
        village_code=(village_code or "").strip() or None,
        station_code=None,
        police_room_code=None,
        language=language if language in LOCALES else "zh_CN",
        active=True,
    )
    session.add(row)
    await publish_user(session, row)
    log.info("resident %s registered with phone %s", row.user_id, mask_text(phone))
    await audit(session, action="account.registered", actor_id=row.user_id, ip=ip)
    return row


async def set_language(session: AsyncSession, *, user_id: str, language: str) -> UserRow:
    if language not in LOCALES:
        raise FieldError("language", f"one of {', '.join(LOCALES)}")
    row = await session.get(UserRow, user_id)
    if row is None:
        raise FieldError("user_id", "unknown user")
    if row.language != language:
        row.language = language
        await publish_user(session, row)
    return row


@dataclass(frozen=True)
class AccountSpec:
    """What the seeder wants a user row to be; `password` None keeps the login unusable."""

    user_id: str
    username: str
    role: str
    display_name: str
    phone: str | None = None
    password: str | None = None
    password_hash: str | None = None
    village_code: str | None = None
    station_code: str | None = None
    police_room_code: str | None = None


_SYNCED = ("username", "role", "display_name", "phone", "village_code", "station_code")


async def ensure_account(session: AsyncSession, spec: AccountSpec) -> bool:
    """Create or update one account; publishes `user.upserted` only when something changed."""
    row = await session.get(UserRow, spec.user_id)
    changed = False
    if row is None:
        row = UserRow(user_id=spec.user_id, language="zh_CN", active=True, password_hash=None)
        session.add(row)
        changed = True
    for name in (*_SYNCED, "police_room_code"):
        if getattr(row, name, None) != getattr(spec, name):
            setattr(row, name, getattr(spec, name))
            changed = True
    if spec.password_hash is not None:
        row.password_hash = spec.password_hash
    elif spec.password is not None and not (
        row.password_hash and verify_password(row.password_hash, spec.password)
    ):
        row.password_hash = hash_password(spec.password)
    if changed:
        await publish_user(session, row)
    return changed


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


async def set_email(session: AsyncSession, *, user_id: str, email: str, ip: str | None) -> None:
    """The person's e-mail for notifications (empty: none); other services learn it from
    `user.upserted`. The address itself stays out of the audit log."""
    email = email.strip()
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise FieldError("email", "not an e-mail address")
    row = await session.get(UserRow, user_id)
    if row is None:
        raise FieldError("email", "no such account")
    if row.email == (email or None):
        return  # nothing changed: no event
    row.email = email or None
    await audit(session, action="email.changed", actor_id=user_id, ip=ip)
    await publish_user(session, row)


async def change_password(
    session: AsyncSession, *, user_id: str, current: str, new: str, ip: str | None = None
) -> None:
    """Replace the password and end every session and token of the user (the caller logs the
    browser in again with a fresh session)."""
    row = await session.get(UserRow, user_id)
    if row is None or not row.password_hash or not verify_password(row.password_hash, current):
        raise FieldError("current_password", "wrong password")
    try:
        check_password(new)
    except FieldError as exc:
        raise FieldError("new_password", exc.reason) from None
    row.password_hash = hash_password(new)
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    await audit(session, action="password.changed", actor_id=user_id, ip=ip)
