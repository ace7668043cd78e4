"""Staff accounts an administrator creates or resets, published by the portal: the one-time
password goes to the person's phone by SMS (through notifications), never anywhere else."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event, register


@register
class AccountPasswordIssued(Event):
    """A one-time first-login password; the holder must choose their own to log in."""

    routing_key = "account.password_issued"
    account_id: str
    purpose: Literal["created", "reset"] = "created"
    temporary_password: str
    expires_at: datetime
    role: str
    display_name: str
    phone: str
    email: str | None = None
    language: str = "zh-CN"
    village_code: str | None = None
    station_code: str | None = None
    police_room_code: str | None = None

    def contact(self) -> UserUpserted:
        """Who to send it to, as `user.upserted` would tell it (that event may come later)."""
        return UserUpserted(
            event_id=f"{self.event_id}:contact",
            occurred_at=self.occurred_at,
            user_id=self.account_id,
            role=self.role,
            display_name=self.display_name,
            phone=self.phone,
            email=self.email,
            language=self.language,
            village_code=self.village_code,
            station_code=self.station_code,
            police_room_code=self.police_room_code,
        )
