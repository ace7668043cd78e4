"""Tables owned by the appointments service. Times are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String, Text, func, text, true
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, make_metadata
from shared.messaging.outbox import inbox_table, outbox_table


class Base(ServiceBase):
    __abstract__ = True
    metadata = make_metadata()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

# Booking states that hold a seat and count as "the person's active booking for a service".
ACTIVE_STATES = ("held", "booked", "pending_check", "ready")


class Service(Base):
    __tablename__ = "service"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    checklist: Mapped[list[str]] = mapped_column(JSON)
    promised_days: Mapped[int] = mapped_column(Integer)
    ways: Mapped[list[str]] = mapped_column(JSON)


class Office(Base):
    __tablename__ = "office"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # station | hall
    county_code: Mapped[str] = mapped_column(String(8))
    station_code: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(256), default="")
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)  # a 365x24 window
    services: Mapped[list[str]] = mapped_column(JSON)


class Window(Base):
    __tablename__ = "window"
    office_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)


class OpeningHours(Base):
    __tablename__ = "opening_hours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    office_code: Mapped[str] = mapped_column(String(32), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    opens: Mapped[str] = mapped_column(String(5))  # "08:30", local time
    closes: Mapped[str] = mapped_column(String(5))
    extended: Mapped[bool] = mapped_column(Boolean, default=False)


class Capacity(Base):
    """Seats per slot for each way; door_to_door seats are kept back from public booking."""

    __tablename__ = "capacity"
    office_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    way: Mapped[str] = mapped_column(String(16), primary_key=True)
    seats: Mapped[int] = mapped_column(Integer)


class Closure(Base):
    __tablename__ = "closure"
    office_code: Mapped[str] = mapped_column(String(32), primary_key=True)  # "*" = every office
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(128))


class Slot(Base):
    """Materialised per office, start and way on first look; `booked` moves only by
    conditional UPDATE so that it can never pass `capacity`."""

    __tablename__ = "slot"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(32))
    way: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_slot_office_start", "office_code", "starts_at"),)


class Booking(Base):
    __tablename__ = "booking"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    resident_id: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(32))
    office_code: Mapped[str] = mapped_column(String(32))
    slot_id: Mapped[str] = mapped_column(String(64), index=True)
    way: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    documents: Mapped[list[str]] = mapped_column(JSON)
    missing: Mapped[list[str]] = mapped_column(JSON)
    window_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index(
            "uq_booking_active_person",
            "resident_id",
            "service_code",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index("ix_booking_status_start", "status", "starts_at"),
    )


class Reminder(Base):
    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_id: Mapped[int] = mapped_column(Integer, index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | cancelled
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_reminder_status_due", "status", "due_at"),)


class Application(Base):
    __tablename__ = "application"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(64), index=True)
    service_code: Mapped[str] = mapped_column(String(32))
    documents: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # submitted|returned|approved|rejected
    assignee_id: Mapped[str | None] = mapped_column(String(64), index=True)
    village_code: Mapped[str | None] = mapped_column(String(16))
    station_code: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class HomeVisit(Base):
    __tablename__ = "home_visit"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(64), index=True)
    service_code: Mapped[str] = mapped_column(String(32))
    village_code: Mapped[str] = mapped_column(String(16))
    station_code: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))  # elderly | sick | disabled
    address: Mapped[str] = mapped_column(String(256), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16))
    officer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    workflow_started: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Kiosk(Base):
    __tablename__ = "kiosk"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    office_code: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(String(256))
    services: Mapped[list[str]] = mapped_column(JSON)
    hours: Mapped[str] = mapped_column(String(64))
    in_service: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(256), default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Audit(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)


class DirectoryVillage(Base):
    """The disputes service's directory as far as the desk needs it (who serves a village),
    replicated from its `directory.village_listed` events; never written otherwise."""

    __tablename__ = "directory_village"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(String(16))
    police_room_code: Mapped[str] = mapped_column(String(16))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    chief_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())  # false: closed
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BookingIssue(Base):
    """A booking that a desk change (a closed day, shorter hours, fewer seats, a service or way
    withdrawn) left without its place. The change never cancels it: it is listed here for the
    staff to move, and it leaves the list once moved, cancelled, or back in place."""

    __tablename__ = "booking_issue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_code: Mapped[str] = mapped_column(String(16), index=True)
    office_code: Mapped[str] = mapped_column(String(32))
    slot_id: Mapped[str] = mapped_column(String(64))  # where the booking was when listed
    cause: Mapped[str] = mapped_column(String(16))  # closure | hours | seats | service | way
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(16))  # moved | cancelled | fits
    __table_args__ = (Index("ix_booking_issue_open", "office_code", "resolved_at"),)


class DirectoryRoom(Base):
    """A police room and its active officers, replicated from `directory.police_room_listed`."""

    __tablename__ = "directory_room"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(String(16))
    village_code: Mapped[str] = mapped_column(String(16))
    officer_ids: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())  # false: closed
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DirectoryOfficer(Base):
    """An officer's posting, replicated from `directory.officer_posted` (who may be sent on a
    door-to-door visit: an inactive officer is not)."""

    __tablename__ = "directory_officer"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(String(16), index=True)
    police_room_codes: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
