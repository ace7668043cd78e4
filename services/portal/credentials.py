"""Browser sessions and API tokens: issued, looked up, listed and revoked (no FastAPI here).

The cookie or bearer value is a random secret; the tables hold only its SHA-256, which is also
the handle the profile page shows and revokes by (it cannot be turned back into the secret).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import ApiToken, UserRow, WebSession

USER_AGENT_MAX = 200


def now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def create_web_session(
    session: AsyncSession,
    *,
    user_id: str,
    max_age: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """A fresh session id, never reused (the rotation at login); returns the cookie value."""
    value = new_secret()
    t = now()
    session.add(
        WebSession(
            id_hash=digest(value),
            user_id=user_id,
            created_at=t,
            expires_at=t + timedelta(seconds=max_age),
            ip=ip,
            user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
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
    if aware(ws.expires_at) < now() or not user.active:
        return None
    return user


async def end_web_session(session: AsyncSession, cookie_value: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id_hash == digest(cookie_value)))


async def issue_token(
    session: AsyncSession,
    *,
    user_id: str,
    ttl: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, datetime]:
    value = new_secret()
    t = now()
    expires = t + timedelta(seconds=ttl)
    session.add(
        ApiToken(
            token_hash=digest(value),
            user_id=user_id,
            created_at=t,
            expires_at=expires,
            ip=ip,
            user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
        )
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
    if aware(tok.expires_at) < now() or not user.active:
        return None
    return user


async def revoke_token(session: AsyncSession, token: str) -> None:
    await session.execute(delete(ApiToken).where(ApiToken.token_hash == digest(token)))


@dataclass(frozen=True)
class Credential:
    """One live session or token, as the profile page lists it."""

    kind: str  # "session" | "token"
    handle: str
    created_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


async def active_credentials(
    session: AsyncSession, *, user_id: str, current_session: str | None = None
) -> list[Credential]:
    t = now()
    mine = digest(current_session) if current_session else None
    out: list[Credential] = []
    sessions = await session.scalars(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at >= t)
    )
    for ws in sessions:
        out.append(
            Credential(
                "session",
                ws.id_hash,
                aware(ws.created_at),
                aware(ws.expires_at),
                ws.ip,
                ws.user_agent,
                ws.id_hash == mine,
            )
        )
    tokens = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.expires_at >= t)
    )
    for tok in tokens:
        out.append(
            Credential(
                "token",
                tok.token_hash,
                aware(tok.created_at),
                aware(tok.expires_at),
                tok.ip,
                tok.user_agent,
                False,
            )
        )
    return sorted(out, key=lambda c: c.created_at, reverse=True)


async def revoke(session: AsyncSession, *, user_id: str, kind: str, handle: str) -> bool:
    """Revoke one of the user's own sessions or tokens; False when it is not theirs or gone."""
    if kind == "session":
        result = await session.execute(
            delete(WebSession).where(WebSession.user_id == user_id, WebSession.id_hash == handle)
        )
    elif kind == "token":
        result = await session.execute(
            delete(ApiToken).where(ApiToken.user_id == user_id, ApiToken.token_hash == handle)
        )
    else:
        return False
    return bool(getattr(result, "rowcount", 0))


async def revoke_all(session: AsyncSession, *, user_id: str) -> None:
    """Sign out everywhere: every session and token of the user ends now."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
