"""Resident registration confirmed by a one-time code sent by SMS to the phone being registered.

Step one checks everything (phone, name, password, village, phone not taken), keeps the
registration aside with the password already hashed and the code only as an HMAC, and queues
`account.registration_code` for the notifications service (the demo's sink shows the SMS).
Step two creates the account when the code matches within CODE_MINUTES and MAX_ATTEMPTS.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.portal.credentials import aware, now
from services.portal.inputs import clean_name, normalise_phone
from services.portal.models import PendingRegistration, UserRow, outbox
from services.portal.passwords import hash_async
from services.portal.service import FieldError, audit, check_password, publish_user
from shared.i18n import LANGUAGE_TAGS, LOCALES
from shared.messaging.contracts.users import RegistrationCodeIssued
from shared.messaging.outbox import add_event
from shared.pii import mask_text

log = logging.getLogger("fengqiao.portal.accounts")

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
CODES_PER_PHONE_PER_HOUR = 3
CODES_PER_ADDRESS_PER_HOUR = 10


@dataclass(frozen=True)
class CodeSent:
    registration_id: str
    phone: str
    expires_at: datetime


def code_digest(secret_key: str, registration_id: str, code: str) -> str:
    message = f"{registration_id}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


async def _phone_taken(session: AsyncSession, phone: str) -> bool:
    taken = select(UserRow.user_id).where(or_(UserRow.phone == phone, UserRow.username == phone))
    return (await session.execute(taken)).first() is not None


async def _recent(
    session: AsyncSession, column: InstrumentedAttribute[Any], value: str | None
) -> int:
    if value is None:
        return 0
    stmt = select(func.count()).where(
        column == value, PendingRegistration.created_at >= now() - timedelta(hours=1)
    )
    return int((await session.execute(stmt)).scalar_one())


async def start_registration(
    session: AsyncSession,
    *,
    secret_key: str,
    phone: str,
    password: str,
    display_name: str,
    village_code: str,
    known_villages: set[str],
    language: str,
    ip: str | None,
) -> CodeSent:
    """Check the form and send a code; FieldError names the first field that is wrong."""
    phone = normalise_phone(phone)
    name = clean_name(display_name)
    village = village_code.strip()
    if not village:
        raise FieldError("village_code", "required")
    if known_villages and village not in known_villages:
        raise FieldError("village_code", "unknown village code")
    check_password(password, login=phone)
    if await _phone_taken(session, phone):
        raise FieldError("phone", "already registered")
    if await _recent(session, PendingRegistration.phone, phone) >= CODES_PER_PHONE_PER_HOUR:
        raise FieldError("phone", "too many codes sent to this number; try again in an hour")
    if await _recent(session, PendingRegistration.ip, ip) >= CODES_PER_ADDRESS_PER_HOUR:
        raise FieldError("phone", "too many registrations from your address; try again later")
    t = now()
    await session.execute(
        delete(PendingRegistration).where(PendingRegistration.expires_at < t - timedelta(hours=1))
    )
    registration_id = secrets.token_urlsafe(24)
    code = f"{secrets.randbelow(1_000_000):06d}"
    locale = language if language in LOCALES else "zh_CN"
    row = PendingRegistration(
        id=registration_id,
        phone=phone,
        code_hash=code_digest(secret_key, registration_id, code),
        password_hash=await hash_async(password),
        display_name=name,
        village_code=village,
        language=locale,
        ip=ip,
        attempts=0,
        created_at=t,
        expires_at=t + timedelta(minutes=CODE_MINUTES),
    )
    session.add(row)
    event = RegistrationCodeIssued(
        registration_id=registration_id,
        phone=phone,
        code=code,
        valid_minutes=CODE_MINUTES,
        language=LANGUAGE_TAGS.get(locale, "zh-CN"),
    )
    await add_event(session, outbox, event)
    log.info("registration code sent to %s", mask_text(phone))
    await audit(session, action="account.code_sent", subject=mask_text(phone), ip=ip)
    return CodeSent(registration_id, phone, row.expires_at)


async def pending(session: AsyncSession, registration_id: str) -> PendingRegistration | None:
    row = await session.get(PendingRegistration, registration_id)
    if row is None or aware(row.expires_at) < now() or row.attempts >= MAX_ATTEMPTS:
        return None
    return row


async def confirm_registration(
    session: AsyncSession, *, secret_key: str, registration_id: str, code: str, ip: str | None
) -> UserRow:
    """The account, when `code` is the one sent; a wrong code counts against MAX_ATTEMPTS.

    The caller commits even when this raises, so a wrong attempt stays counted."""
    row = await session.get(PendingRegistration, registration_id)
    if row is None or aware(row.expires_at) < now():
        raise FieldError("code", "the code has expired; register again")
    if row.attempts >= MAX_ATTEMPTS:
        raise FieldError("code", "too many wrong codes; register again")
    expected = code_digest(secret_key, registration_id, code.strip())
    if not hmac.compare_digest(expected, row.code_hash):
        row.attempts += 1
        await audit(session, action="account.code_wrong", subject=mask_text(row.phone), ip=ip)
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise FieldError("code", "too many wrong codes; register again")
        raise FieldError("code", f"wrong code ({left} attempts left)")
    if await _phone_taken(session, row.phone):
        await session.delete(row)
        raise FieldError("phone", "already registered")
    user = UserRow(
        user_id=f"res-{uuid.uuid4().hex[:12]}",
        username=row.phone,
        phone=row.phone,
        password_hash=row.password_hash,
        role="resident",
        display_name=row.display_name,
        village_code=row.village_code,
        station_code=None,
        police_room_code=None,
        language=row.language,
        active=True,
    )
    session.add(user)
    await session.delete(row)
    await publish_user(session, user)
    log.info("resident %s registered with phone %s", user.user_id, mask_text(user.phone or ""))
    await audit(session, action="account.registered", actor_id=user.user_id, ip=ip)
    return user
