"""Reading and updating what users see: inbox, preferences, delivery status (no FastAPI)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import (
    CHANNELS,
    FAILED,
    QUEUED,
    READ,
    SENT,
    STATUSES,
    Delivery,
    Preference,
)
from services.notifications.service import default_preference
from shared import errors
from shared.config import NotificationsSettings
from shared.contracts.notifications import (
    DeliveryPage,
    DeliveryRead,
    InboxItemRead,
    InboxPage,
    PreferenceRead,
    PreferenceUpdate,
)
from shared.pii import mask_phone


class NotFound(errors.NotFound):
    pass


class InvalidPreference(errors.Invalid):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason, field)


def _inbox_of(user_id: str) -> list[ColumnElement[bool]]:
    return [Delivery.recipient_id == user_id, Delivery.channel == "inbox"]


async def unread_count(session: AsyncSession, user_id: str) -> int:
    stmt = select(func.count()).where(*_inbox_of(user_id), Delivery.status == SENT)
    return int((await session.execute(stmt)).scalar_one())


async def inbox_page(
    session: AsyncSession, user_id: str, *, unread_only: bool, limit: int, offset: int
) -> InboxPage:
    where = _inbox_of(user_id)
    if unread_only:
        where.append(Delivery.status == SENT)
    total = int((await session.execute(select(func.count()).where(*where))).scalar_one())
    rows = await session.scalars(
        select(Delivery)
        .where(*where)
        .order_by(Delivery.occurred_at.desc(), Delivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return InboxPage(
        items=[InboxItemRead.model_validate(r) for r in rows],
        total=total,
        unread=await unread_count(session, user_id),
    )


async def mark_read(session: AsyncSession, user_id: str, delivery_id: int | None) -> int:
    """Mark one inbox message (or all when `delivery_id` is None) read; 404 if not the user's."""
    where = [*_inbox_of(user_id)]
    if delivery_id is not None:
        row = await session.get(Delivery, delivery_id)
        if row is None or row.recipient_id != user_id or row.channel != "inbox":
            raise NotFound(f"message {delivery_id}")
        where.append(Delivery.id == delivery_id)
    result = await session.execute(
        update(Delivery)
        .where(*where, Delivery.status == SENT)
        .values(status=READ, read_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _pref_read(pref: Preference, kinds: list[str]) -> PreferenceRead:
    return PreferenceRead(
        user_id=pref.user_id,
        disabled=pref.disabled or {},
        quiet_enabled=pref.quiet_enabled,
        quiet_start_hour=pref.quiet_start_hour,
        quiet_end_hour=pref.quiet_end_hour,
        kinds=kinds,
        channels=list(CHANNELS),
    )


async def get_preferences(
    session: AsyncSession, user_id: str, kinds: list[str], settings: NotificationsSettings
) -> PreferenceRead:
    pref = await session.get(Preference, user_id) or default_preference(user_id, settings)
    return _pref_read(pref, kinds)


async def set_preferences(
    session: AsyncSession, user_id: str, kinds: list[str], data: PreferenceUpdate
) -> PreferenceRead:
    for kind in data.disabled:
        if kind not in kinds:
            raise InvalidPreference(f"disabled.{kind}", f"unknown kind; one of {kinds}")
    disabled: dict[str, list[str]] = {k: sorted(set(v)) for k, v in data.disabled.items() if v}
    pref = await session.get(Preference, user_id)
    if pref is None:
        pref = Preference(user_id=user_id)
        session.add(pref)
    pref.disabled = disabled
    pref.quiet_enabled = data.quiet_enabled
    pref.quiet_start_hour = data.quiet_start_hour
    pref.quiet_end_hour = data.quiet_end_hour
    await session.flush()
    return _pref_read(pref, kinds)


def _masked(channel: str, address: str) -> str:
    if channel == "sms":
        return mask_phone(address)
    if channel == "email" and "@" in address:
        name, domain = address.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return address


def _delivery_read(r: Delivery) -> DeliveryRead:
    data: dict[str, Any] = {c: getattr(r, c) for c in DeliveryRead.model_fields}
    data["address"] = _masked(r.channel, r.address)
    return DeliveryRead.model_validate(data)


async def deliveries(
    session: AsyncSession,
    *,
    status: str | None,
    channel: str | None,
    recipient_id: str | None,
    station_code: str | None,
    reference: str | None,
    limit: int,
    offset: int,
) -> DeliveryPage:
    where: list[ColumnElement[bool]] = []
    if channel:
        where.append(Delivery.channel == channel)
    if recipient_id:
        where.append(Delivery.recipient_id == recipient_id)
    if station_code:
        where.append(Delivery.station_code == station_code)
    if reference:
        where.append(Delivery.reference == reference)
    grouped = await session.execute(
        select(Delivery.status, func.count()).where(*where).group_by(Delivery.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({s: int(n) for s, n in grouped.all()})
    if status:
        where.append(Delivery.status == status)
    total = int((await session.execute(select(func.count()).where(*where))).scalar_one())
    rows = await session.scalars(
        select(Delivery)
        .where(*where)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return DeliveryPage(items=[_delivery_read(r) for r in rows], total=total, counts=counts)


async def delivery(session: AsyncSession, delivery_id: int) -> DeliveryRead:
    row = await session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound(f"delivery {delivery_id}")
    return _delivery_read(row)


async def retry_failed(session: AsyncSession, delivery_id: int) -> int:
    row = await session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound(f"delivery {delivery_id}")
    if row.status != FAILED:
        return 0
    row.status = QUEUED
    row.attempts = 0
    row.next_attempt_at = datetime.now(UTC)
    await session.flush()
    return 1
