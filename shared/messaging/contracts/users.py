"""Accounts, published by the portal so other services know people without reading its tables."""

from __future__ import annotations

from shared.messaging.events import Event, register


@register
class UserUpserted(Event):
    """A person's contact and language, for notifications and points (never a password)."""

    routing_key = "user.upserted"
    user_id: str
    role: str
    display_name: str
    phone: str | None = None
    email: str | None = None
    language: str = "zh-CN"
    village_code: str | None = None
    station_code: str | None = None
    police_room_code: str | None = None
