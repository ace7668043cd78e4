"""The notifications service's HTTP contract (XUpdate / XRead): what its clients (the portal)
send and read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.times import UTCDateTime

Channel = Literal["inbox", "sms", "email", "bot"]
Status = Literal["queued", "sent", "failed", "read"]


class InboxItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    routing_key: str
    kind: str
    subject: str
    body: str
    language: str = Field(
        default="zh-CN", description="the language the message was written in (BCP 47)"
    )
    reference: str
    urgent: bool
    occurred_at: UTCDateTime
    read_at: UTCDateTime | None


class InboxPage(BaseModel):
    items: list[InboxItemRead]
    total: int
    unread: int


class UnreadCount(BaseModel):
    unread: int


class PreferenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disabled: dict[str, list[Literal["sms", "email", "bot"]]] = Field(
        default_factory=dict,
        description="Channels switched off per kind of message (the inbox cannot be).",
    )
    quiet_enabled: bool = True
    quiet_start_hour: int = Field(ge=0, le=23)
    quiet_end_hour: int = Field(ge=0, le=23)


class PreferenceRead(PreferenceUpdate):
    user_id: str
    kinds: list[str]
    channels: list[str]


class DeliveryRead(BaseModel):
    id: int
    event_id: str
    routing_key: str
    kind: str
    recipient_id: str
    channel: str
    address: str = Field(description="Masked phone / e-mail / group")
    status: str
    attempts: int
    last_error: str
    urgent: bool
    digested: bool
    deferred: bool
    subject: str
    reference: str
    station_code: str | None
    occurred_at: UTCDateTime
    created_at: UTCDateTime
    next_attempt_at: UTCDateTime
    sent_at: UTCDateTime | None
    read_at: UTCDateTime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    total: int
    counts: dict[str, int] = Field(description="Deliveries per status under the same filter")


class RetryResult(BaseModel):
    requeued: int
