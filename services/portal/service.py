"""Domain logic of the portal: accounts, audit (no FastAPI here). Sessions and tokens:
credentials.py; login throttling: login.py; registration by SMS code: signup.py."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.credentials import (
    create_web_session,
    digest,
    end_web_session,
    issue_token,
    new_secret,
    now,
    revoke_all,
    session_user,
    token_user,
)
from services.portal.models import AuditEntry, UserRow, outbox
from services.portal.passwords import hash_async, password_problem, verify_async
from shared.auth import hash_password, verify_password
from shared.i18n import LANGUAGE_TAGS, LOCALES
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.outbox import add_event

log = logging.getLogger("fengqiao.portal.accounts")

ROLES = ("resident", "officer", "station_chief", "group_leader", "clerk", "admin", "partner")
# Sessions and tokens live in credentials.py; these names stay importable from here.
__all__ = [
    "create_web_session",
    "digest",
    "end_web_session",
    "issue_token",
    "new_secret",
    "session_user",
    "token_user",
]


class FieldError(Exception):
    """Bad input on one field; adapters turn it into a 422 naming the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


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
        active=row.active,
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


def check_password(password: str, *, field: str = "password", login: str | None = None) -> None:
    problem = password_problem(password, login=login)
    if problem:
        raise FieldError(field, problem)


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
    partner_code: str | None = None


_SYNCED = ("username", "role", "display_name", "phone", "village_code", "station_code")


async def ensure_account(session: AsyncSession, spec: AccountSpec) -> bool:
    """Create or update one account; publishes `user.upserted` only when something changed."""
    row = await session.get(UserRow, spec.user_id)
    changed = False
    if row is None:
        row = UserRow(user_id=spec.user_id, language="zh_CN", active=True, password_hash=None)
        session.add(row)
        changed = True
    for name in (*_SYNCED, "police_room_code", "partner_code"):
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
    if row is None or not row.password_hash or not await verify_async(row.password_hash, current):
        raise FieldError("current_password", "wrong password")
    check_password(new, field="new_password", login=row.username)
    row.password_hash = await hash_async(new)
    await revoke_all(session, user_id=user_id)
    await audit(session, action="password.changed", actor_id=user_id, ip=ip)
