"""The first login of a staff account (no FastAPI here): the holder of the one-time password
sent by SMS (staff.py) chooses their own, under the same failure limit as the login."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.admin_lib.staff import StaffInvalid, now
from services.portal.login import WINDOW as LOGIN_WINDOW
from services.portal.models import LoginAttempt, OneTimePassword, UserRow
from services.portal.passwords import password_problem
from services.portal.service import audit
from shared.auth import hash_password, verify_password


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


async def first_login(
    session: AsyncSession,
    *,
    login: str,
    one_time: str,
    new_password: str,
    ip: str | None,
    limit: int,
) -> UserRow | None:
    """The holder of a one-time password chooses their own; None when refused (counted like
    a failed login, under the same limit)."""
    key = f"otp:{login.strip().lower()}"
    since = now() - LOGIN_WINDOW
    failures = await session.execute(
        select(func.count()).where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)
    )
    if int(failures.scalar_one()) >= limit:
        await audit(session, action="first_login.locked", subject=key[:128], ip=ip)
        raise StaffInvalid({"login": "too many failed attempts; try again later"})
    problem = password_problem(new_password, login=login)
    if problem is not None:
        raise StaffInvalid({"new_password": problem})
    row = (
        (
            await session.execute(
                select(UserRow).where(
                    or_(UserRow.username == login.strip(), UserRow.phone == login.strip())
                )
            )
        )
        .scalars()
        .first()
    )
    otp = await session.get(OneTimePassword, row.user_id) if row is not None else None
    ok = (
        row is not None
        and row.active
        and otp is not None
        and _aware(otp.expires_at) > now()
        and verify_password(otp.password_hash, one_time.strip())
    )
    if not ok or row is None or otp is None:
        session.add(LoginAttempt(key=key, attempted_at=now()))
        await audit(session, action="first_login.failed", subject=key[:128], ip=ip)
        return None
    if verify_password(otp.password_hash, new_password):
        raise StaffInvalid({"new_password": "choose a password of your own"})
    row.password_hash = hash_password(new_password)
    await session.delete(otp)
    await audit(session, action="password.first_set", actor_id=row.user_id, ip=ip)
    return row
