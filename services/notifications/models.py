"""Tables owned by the notifications service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, make_metadata
from shared.messaging.outbox import inbox_table

QUEUED, SENT, FAILED, READ = "queued", "sent", "failed", "read"
STATUSES = (QUEUED, SENT, FAILED, READ)
CHANNELS = ("inbox", "sms", "email", "bot")


class Base(ServiceBase):
    __abstract__ = True
    metadata = make_metadata()


inbox = inbox_table(Base.metadata)


class Recipient(Base):
    """A person as learned from `user.upserted` (contact details and language)."""

    __tablename__ = "recipients"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(16), default="zh-CN")
    village_code: Mapped[str | None] = mapped_column(String(32), index=True)
    station_code: Mapped[str | None] = mapped_column(String(32), index=True)
    police_room_code: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Preference(Base):
    """Per recipient: channels switched off per kind of message, and quiet hours."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # {"case": ["sms"], "points": ["sms", "email"]}: channels the user turned off
    disabled: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    quiet_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_start_hour: Mapped[int] = mapped_column(Integer, default=22)
    quiet_end_hour: Mapped[int] = mapped_column(Integer, default=7)


class Delivery(Base):
    """One message to one recipient over one channel; (event, recipient, channel) is unique."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_recipient", "recipient_id", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(64))
    routing_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64), default="")
    station_code: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    digested: Mapped[bool] = mapped_column(Boolean, default=False)
    deferred: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
