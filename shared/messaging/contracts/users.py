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
    active: bool = True  # false once the account is deactivated (its logins have ended)


@register
class RegistrationCodeIssued(Event):
    """A one-time code for whoever registers `phone` (no account yet: the SMS goes to the
    number itself). The code expires after `valid_minutes`."""

    routing_key = "account.registration_code"
    registration_id: str
    phone: str
    code: str
    valid_minutes: int = 10
    language: str = "zh-CN"


@register
class LoginThrottled(Event):
    """Many wrong passwords for the account: its holder is told (nobody is locked out)."""

    routing_key = "account.login_throttled"
    account_id: str
    failures: int
