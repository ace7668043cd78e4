"""Tables of the disputes database: the organisation directory and the case tables.

The disputes service owns them (its migrations, its API reads them); the Temporal worker's
activities write the case tables. They live beside the activities because workflows never
import services; `services.disputes.models` re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, make_metadata
from shared.messaging.outbox import inbox_table, outbox_table

TS = DateTime(timezone=True)


class Base(ServiceBase):
    __abstract__ = True
    metadata = make_metadata()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)


class Station(Base):
    __tablename__ = "stations"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(8))
    township: Mapped[str] = mapped_column(String(64))
    chief_id: Mapped[str] = mapped_column(String(64))


class Village(Base):
    __tablename__ = "villages"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    township: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(8))
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"), index=True)
    police_room_code: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)  # false once closed (kept for its cases)


class PoliceRoom(Base):
    __tablename__ = "police_rooms"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"))
    village_code: Mapped[str] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(default=True)  # false once closed


class Officer(Base):
    __tablename__ = "officers"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # when the newest account event applied was made: an older one arriving late is ignored
    account_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class RoomOfficer(Base):
    __tablename__ = "room_officers"
    room_code: Mapped[str] = mapped_column(ForeignKey("police_rooms.code"), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.user_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PartnerOrg(Base):
    """A partner organisation of the linkage (协调联动): a village committee, the township's
    judicial office, women's federation or government, and the villages it serves."""

    __tablename__ = "partner_orgs"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    township: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"), index=True)
    village_codes: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    # the organisation's outbound channel: the linkage notice of each request is POSTed here
    notify_url: Mapped[str | None] = mapped_column(String(300), default=None)


class Case(Base):
    __tablename__ = "cases"
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    village_code: Mapped[str] = mapped_column(String(16), index=True)
    station_code: Mapped[str] = mapped_column(String(16))
    township: Mapped[str] = mapped_column(String(64))
    reporter_kind: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reported_at: Mapped[datetime] = mapped_column(TS)
    risk: Mapped[dict[str, Any]] = mapped_column(JSON)
    stage: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(8))
    rules_fired: Mapped[list[str]] = mapped_column(JSON)
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    stage_since: Mapped[datetime] = mapped_column(TS)
    stage_deadline: Mapped[datetime | None] = mapped_column(TS)
    settlement: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    __table_args__ = (
        Index("ix_cases_station_stage", "station_code", "stage"),
        Index("ix_cases_assignee_stage", "assignee_id", "stage"),
    )


class Party(Base):
    __tablename__ = "parties"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    __table_args__ = (UniqueConstraint("case_id", "position"),)


class CaseHousehold(Base):
    __tablename__ = "case_households"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(128))


class Task(Base):
    __tablename__ = "tasks"
    task_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    station_code: Mapped[str] = mapped_column(String(16))
    village_code: Mapped[str] = mapped_column(String(16))
    colour: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(TS)
    due_at: Mapped[datetime | None] = mapped_column(TS)
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    # a linkage request's partner organisation: the task is in that organisation's list too
    partner_code: Mapped[str | None] = mapped_column(String(32), index=True)
    __table_args__ = (
        Index("ix_tasks_open_assignee", "assignee_id", "closed_at", "due_at"),
        Index("ix_tasks_open_station", "station_code", "closed_at", "due_at"),
    )


class TimelineEntry(Base):
    __tablename__ = "timeline"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(TS)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(8))
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the stuck board's last window reset per case (services/disputes/board.py)
    __table_args__ = (Index("ix_timeline_case_kind_at", "case_id", "kind", "at"),)


class ColourChangeRow(Base):
    __tablename__ = "colour_changes"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(TS)
    previous: Mapped[str | None] = mapped_column(String(8))
    colour: Mapped[str] = mapped_column(String(8))
    rules_fired: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Supervisor actions (reassign, escalate, cancel, retry) with actor and reason."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(TS)
    actor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)


class CaseNumber(Base):
    """The last case number given out in a year: numbers read FQ<year>-<000001>."""

    __tablename__ = "case_numbers"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
