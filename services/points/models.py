"""Tables owned by the points service.

The ledger is append-only: `entries` rows are never updated or deleted. `accounts` caches the
balance with a version and the head of the account's hash chain; the CHECK constraints make
the database itself refuse a negative balance, whatever the code above it does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, make_metadata
from shared.messaging.outbox import inbox_table, outbox_table

GENESIS_HASH = "0" * 64


class Base(ServiceBase):
    __abstract__ = True
    metadata = make_metadata()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # user id or group:<code>
    kind: Mapped[str] = mapped_column(String(16), default="resident")  # resident | group
    role: Mapped[str | None] = mapped_column(String(16))  # from user.upserted, when known
    display_name: Mapped[str] = mapped_column(String(128), default="")
    village_code: Mapped[str | None] = mapped_column(String(16), index=True)
    balance: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Entry(Base):
    """One immutable change of an account; `amount` moves the balance, `held_delta` the holds."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("account_id", "version"),
        Index("ix_entries_kind_created", "kind", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # earn | redeem | hold | release | reverse | expire | adjust
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    held_delta: Mapped[int] = mapped_column(Integer, default=0)
    balance_after: Mapped[int] = mapped_column(Integer)
    # mediation | follow_up | screening | patrol | tip | redemption | adjustment | expiry ...
    reason_kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")  # private: never shown to the clerk
    ref: Mapped[str] = mapped_column(String(128), default="")
    reverses_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    idem_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the earning rules version an award was priced by (None: not an award by the rules)
    rules_version: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class IdempotentRequest(Base):
    """First writer of a key wins; a later request with another body is refused."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Village(Base):
    """Replica of the directory's villages (services/points/directory.py, fed by its
    `directory.village_listed` events): which station a village (and its shop) belongs to."""

    __tablename__ = "villages"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(String(16), index=True)
    # when the directory listed the row held (None: a row from before the replica)
    listed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Group(Base):
    __tablename__ = "groups"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    village_code: Mapped[str] = mapped_column(String(16))
    leader_id: Mapped[str] = mapped_column(String(64), index=True)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_code: Mapped[str] = mapped_column(ForeignKey("groups.code"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")


class Patrol(Base):
    __tablename__ = "patrols"
    __table_args__ = (CheckConstraint("ended_at > started_at", name="ends_after_start"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_code: Mapped[str] = mapped_column(ForeignKey("groups.code"), index=True)
    leader_id: Mapped[str] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[str] = mapped_column(String(10))  # local date of the shift, for the daily cap
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | cosigned
    cosigned_by: Mapped[str | None] = mapped_column(String(64))
    cosigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PatrolMember(Base):
    __tablename__ = "patrol_members"

    patrol_id: Mapped[str] = mapped_column(ForeignKey("patrols.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)  # posted on co-sign (after the cap)


class Tip(Base):
    __tablename__ = "tips"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tipster_id: Mapped[str] = mapped_column(String(64), index=True)
    village_code: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")  # submitted | rated
    rating: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    rated_by: Mapped[str | None] = mapped_column(String(64))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(16), index=True)
    shop: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    picture: Mapped[str] = mapped_column(Text, default="")  # inline SVG or a static path
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)


class RedemptionCode(Base):
    __tablename__ = "redemption_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Redemption(Base):
    __tablename__ = "redemptions"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"))
    item_name: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    clerk_id: Mapped[str] = mapped_column(String(64), index=True)
    village_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # completed | held | voided
    day: Mapped[str] = mapped_column(String(10), index=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StockAlert(Base):
    """When a shop's item runs low (stock at or below `low_at`) its group leader is told once;
    a restock above the mark arms the alert again."""

    __tablename__ = "stock_alerts"

    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    low_at: Mapped[int] = mapped_column(Integer, default=0)
    alerted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RulesVersion(Base):
    """A saved set of earning amounts (shared/contracts/points_rules.py EarningRules), in force
    for what is awarded from `created_at` on; version 0 is the installation's file."""

    __tablename__ = "rules_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rules: Mapped[dict[str, object]] = mapped_column(JSON)
    author_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
