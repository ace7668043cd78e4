"""Staff accounts (no FastAPI here): create with a one-time password sent by SMS, deactivate,
reactivate, reset, change role and posting (the first login that replaces the one-time
password: first_login.py).

Administrators manage every staff account; a station chief manages the officers of their own
station only. Every change is audited; every change others must know is a `user.upserted`
event, and the one-time password an `account.password_issued` event, both through the outbox.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.deps import User
from services.portal.inputs import PHONE_RE
from services.portal.models import (
    ApiToken,
    OneTimePassword,
    UserRow,
    WebSession,
    outbox,
)
from services.portal.service import audit, publish_user
from shared.auth import hash_password
from shared.i18n import LANGUAGE_TAGS
from shared.messaging.contracts.accounts import AccountPasswordIssued
from shared.messaging.outbox import add_event

STAFF_ROLES = ("officer", "station_chief", "group_leader", "clerk", "partner", "admin")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
OTP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # read off a phone: no 0/o, 1/l/i
OTP_LENGTH = 10
OTP_TTL = timedelta(hours=72)
ID_PREFIX = {
    "officer": "off",
    "station_chief": "chief",
    "group_leader": "leader",
    "clerk": "clerk",
    "partner": "ptn",
    "admin": "admin",
}


class StaffInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class OutOfScope(Exception):
    pass


@dataclass(frozen=True)
class Directory:
    """What the disputes service's directory knows (codes a posting may name)."""

    stations: frozenset[str] = frozenset()
    rooms: dict[str, str] = field(default_factory=dict)  # room -> station
    villages: dict[str, str] = field(default_factory=dict)  # village -> station
    partners: dict[str, str] = field(default_factory=dict)  # partner organisation -> station


@dataclass
class StaffIn:
    username: str = ""
    display_name: str = ""
    phone: str = ""
    role: str = "officer"
    station_code: str = ""
    police_room_code: str = ""
    village_code: str = ""
    partner_code: str = ""


def now() -> datetime:
    return datetime.now(UTC)


def allowed_roles(actor: User) -> tuple[str, ...]:
    return STAFF_ROLES if actor.role == "admin" else ("officer",)


def in_scope(actor: User, row: UserRow) -> bool:
    if row.role not in STAFF_ROLES:
        return False
    if actor.role == "admin":
        return True
    return (
        actor.role == "station_chief"
        and row.role == "officer"
        and (row.station_code is not None and row.station_code == actor.station_code)
    )


def check_posting(data: StaffIn, actor: User, directory: Directory) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.role not in allowed_roles(actor):
        errors["role"] = "you may not give this role"
    if actor.role == "station_chief":
        data.station_code = actor.station_code or ""
    if data.role != "partner":
        data.partner_code = ""
    if data.role in ("officer", "station_chief"):
        if data.station_code not in directory.stations:
            errors["station_code"] = "choose a station of the directory"
        room = data.police_room_code
        if room and directory.rooms.get(room) != data.station_code:
            errors["police_room_code"] = "choose a police room of this station"
        data.village_code = ""
    elif data.role == "partner":
        if data.partner_code not in directory.partners:
            errors["partner_code"] = "choose an active partner organisation"
        data.station_code = directory.partners.get(data.partner_code, "")
        data.police_room_code = data.village_code = ""
    elif data.role in ("group_leader", "clerk"):
        if data.village_code not in directory.villages:
            errors["village_code"] = "choose a village of the directory"
        data.station_code = directory.villages.get(data.village_code, "")
        data.police_room_code = ""
    else:
        data.station_code = data.police_room_code = data.village_code = ""
    return errors


async def check_new(
    session: AsyncSession, data: StaffIn, actor: User, directory: Directory
) -> None:
    data.username = data.username.strip().lower()
    data.display_name = data.display_name.strip()
    data.phone = data.phone.strip()
    errors = {}
    if not USERNAME_RE.match(data.username):
        errors["username"] = "3 to 32 lower-case letters, digits, . _ or -, starting with a letter"
    if not 1 <= len(data.display_name) <= 64:
        errors["display_name"] = "give the name (at most 64 characters)"
    if not PHONE_RE.fullmatch(data.phone):
        errors["phone"] = "not a mobile phone number (11 digits starting with 1)"
    errors.update(check_posting(data, actor, directory))
    taken = await session.execute(
        select(UserRow.username, UserRow.phone).where(
            or_(
                UserRow.username.in_([data.username, data.phone]),
                UserRow.phone.in_([data.username, data.phone]),
            )
        )
    )
    for username, phone in taken:
        if data.username in (username, phone):
            errors.setdefault("username", "already taken")
        if data.phone in (username, phone):
            errors.setdefault("phone", "already used by another account")
    if errors:
        raise StaffInvalid(errors)


def new_otp() -> str:
    return "".join(secrets.choice(OTP_ALPHABET) for _ in range(OTP_LENGTH))


async def issue_otp(
    session: AsyncSession, row: UserRow, *, actor: User, purpose: str, at: datetime
) -> datetime:
    """A fresh one-time password (any earlier one is void), sent to the person's phone."""
    assert purpose in ("created", "reset") and row.phone
    secret = new_otp()
    expires = at + OTP_TTL
    await session.execute(delete(OneTimePassword).where(OneTimePassword.user_id == row.user_id))
    session.add(
        OneTimePassword(
            user_id=row.user_id,
            password_hash=hash_password(secret),
            issued_by=actor.user_id,
            issued_at=at,
            expires_at=expires,
        )
    )
    await add_event(
        session,
        outbox,
        AccountPasswordIssued(
            account_id=row.user_id,
            purpose="reset" if purpose == "reset" else "created",
            temporary_password=secret,
            expires_at=expires,
            role=row.role,
            display_name=row.display_name,
            phone=row.phone,
            email=row.email,
            language=LANGUAGE_TAGS.get(row.language, "zh-CN"),
            village_code=row.village_code,
            station_code=row.station_code,
            police_room_code=row.police_room_code,
        ),
    )
    return expires


def _posting(row: UserRow) -> dict[str, str | None]:
    return {
        "role": row.role,
        "station_code": row.station_code,
        "police_room_code": row.police_room_code,
        "village_code": row.village_code,
        "partner_code": row.partner_code,
    }


async def create(
    session: AsyncSession, data: StaffIn, *, actor: User, directory: Directory, ip: str | None
) -> UserRow:
    await check_new(session, data, actor, directory)
    row = UserRow(
        user_id=f"{ID_PREFIX[data.role]}-{uuid.uuid4().hex[:10]}",
        username=data.username,
        phone=data.phone,
        password_hash=None,  # no login until the one-time password is replaced
        role=data.role,
        display_name=data.display_name,
        village_code=data.village_code or None,
        station_code=data.station_code or None,
        police_room_code=data.police_room_code or None,
        partner_code=data.partner_code or None,
        language="zh_CN",
        active=True,
    )
    session.add(row)
    await publish_user(session, row)
    await issue_otp(session, row, actor=actor, purpose="created", at=now())
    await audit(
        session,
        action="staff.created",
        actor_id=actor.user_id,
        subject=row.user_id,
        ip=ip,
        detail=_posting(row),
    )
    return row


async def _end_logins(session: AsyncSession, user_id: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    await session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not 2 <= len(reason) <= 500:
        raise StaffInvalid({"reason": "say why (2 to 500 characters)"})
    return reason


async def set_active(
    session: AsyncSession,
    row: UserRow,
    active: bool,
    *,
    actor: User,
    reason: str,
    ip: str | None,
    with_partner: str | None = None,
    partner_off: str | None = None,
) -> bool:
    """Whether it changed. `with_partner`: the partner organisation being deactivated or
    reactivated with its accounts (one deactivated on its own stays so when it comes back).
    `partner_off`: the member's organisation ("name (code)") when it is deactivated; the
    member then comes back only with it."""
    why = _reason(reason)
    if row.user_id == actor.user_id:
        raise StaffInvalid({"reason": "you cannot deactivate or reactivate your own account"})
    if row.active == active:
        if not active and with_partner is None:
            row.deactivated_with = None  # deactivated on its own now: it stays so
        return False
    if active and with_partner is None and partner_off:
        refused = f"the organisation {partner_off} is deactivated: reactivate it first"
        raise StaffInvalid({"partner_code": refused})
    row.active = active
    row.deactivated_with = with_partner if not active else None
    if not active:
        await _end_logins(session, row.user_id)
    await publish_user(session, row)
    action = "staff.reactivated" if active else "staff.deactivated"
    await audit(
        session,
        action=action,
        actor_id=actor.user_id,
        subject=row.user_id,
        ip=ip,
        detail={"reason": why, **({"with_partner": with_partner} if with_partner else {})},
    )
    return True


async def reset_password(
    session: AsyncSession, row: UserRow, *, actor: User, reason: str, ip: str | None
) -> datetime:
    why = _reason(reason)
    if row.user_id == actor.user_id:
        # it would end the very session asking and leave the account without a password
        raise StaffInvalid({"user_id": "change your own password on your profile page"})
    if not row.active:
        raise StaffInvalid({"reason": "reactivate the account first"})
    row.password_hash = None
    await _end_logins(session, row.user_id)
    expires = await issue_otp(session, row, actor=actor, purpose="reset", at=now())
    await audit(
        session,
        action="staff.password_reset",
        actor_id=actor.user_id,
        subject=row.user_id,
        ip=ip,
        detail={"reason": why},
    )
    return expires


async def change_role(
    session: AsyncSession,
    row: UserRow,
    data: StaffIn,
    *,
    actor: User,
    directory: Directory,
    reason: str,
    ip: str | None,
) -> None:
    errors = check_posting(data, actor, directory)
    if actor.role != "admin" and data.role != row.role:
        errors["role"] = "only an administrator changes roles"
    if row.user_id == actor.user_id and data.role != row.role:
        errors["role"] = "you cannot change your own role"
    try:
        why = _reason(reason)
    except StaffInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise StaffInvalid(errors)
    before = _posting(row)
    row.role = data.role
    row.station_code = data.station_code or None
    row.police_room_code = data.police_room_code or None
    row.village_code = data.village_code or None
    row.partner_code = data.partner_code or None
    if _posting(row) == before:
        return
    await _end_logins(session, row.user_id)  # a new role needs a new session
    await publish_user(session, row)
    await audit(
        session,
        action="staff.role_changed",
        actor_id=actor.user_id,
        subject=row.user_id,
        ip=ip,
        detail={"before": before, "after": _posting(row), "reason": why},
    )


async def list_staff(
    session: AsyncSession, actor: User, *, role: str | None = None, limit: int = 500
) -> list[UserRow]:
    stmt = (
        select(UserRow)
        .where(UserRow.role.in_(STAFF_ROLES))
        .order_by(UserRow.role, UserRow.username)
    )
    if actor.role != "admin":
        stmt = stmt.where(UserRow.role == "officer", UserRow.station_code == actor.station_code)
    if role:
        stmt = stmt.where(UserRow.role == role)
    return list((await session.execute(stmt.limit(limit))).scalars())


async def get_in_scope(session: AsyncSession, actor: User, user_id: str) -> UserRow:
    row = await session.get(UserRow, user_id)
    if row is None or row.role not in STAFF_ROLES:
        raise LookupError(user_id)
    if not in_scope(actor, row):
        raise OutOfScope(user_id)
    return row


async def pending_since(session: AsyncSession, user_id: str) -> datetime | None:
    otp = await session.get(OneTimePassword, user_id)
    return otp.issued_at if otp else None
