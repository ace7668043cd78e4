"""Tables of the disputes service. The case tables and the directory the worker reads are
defined in workflows/disputes/tables.py (see there) and re-exported here; the tables only this
service uses (households, the directory's change log) are defined here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.disputes.rule_versions import CaseRulesVersion, ScreeningRulesVersion
from workflows.disputes.tables import (
    TS,
    AuditEntry,
    Base,
    Case,
    CaseHousehold,
    CaseNumber,
    ColourChangeRow,
    Officer,
    PartnerOrg,
    Party,
    PoliceRoom,
    RoomOfficer,
    Station,
    Task,
    TimelineEntry,
    Village,
    inbox,
    outbox,
)


class Household(Base):
    """A household (家庭单元) of a village: cases name it, and its earlier cases are shown."""

    __tablename__ = "households"
    household_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(128))
    members: Mapped[int] = mapped_column(default=1)


class DirectoryChange(Base):
    """Who changed what in the directory, when and why (before and after, field by field)."""

    __tablename__ = "directory_changes"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(TS, index=True)
    actor_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)


class LifecyclePolicyVersion(Base):
    """A version of the lifecycle's deadlines and cadences: who saved it, when and why. The
    newest is given to every case reported after it (version 0, not stored: lifecycle.yaml)."""

    __tablename__ = "lifecycle_policy_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)


__all__ = [
    "TS",
    "AuditEntry",
    "Base",
    "Case",
    "CaseHousehold",
    "CaseNumber",
    "CaseRulesVersion",
    "ColourChangeRow",
    "DirectoryChange",
    "Household",
    "LifecyclePolicyVersion",
    "Officer",
    "PartnerOrg",
    "Party",
    "PoliceRoom",
    "RoomOfficer",
    "ScreeningRulesVersion",
    "Station",
    "Task",
    "TimelineEntry",
    "Village",
    "inbox",
    "outbox",
]
