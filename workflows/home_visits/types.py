"""Inputs and outputs of the door-to-door workflow: one dataclass in, one out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

KIND = "home_visit"
REASONS = ("elderly", "sick", "disabled")


@dataclass
class VisitInput:
    visit_id: str
    resident_id: str
    service_code: str
    village_code: str
    schedule_within_hours: int = 48
    done_grace_hours: int = 24
    escalation_hours: int = 24


@dataclass
class AssignInput:
    village_code: str


@dataclass
class Assignment:
    officer_id: str | None
    station_code: str | None
    chief_id: str | None


@dataclass
class ScheduleInput:
    scheduled_at: datetime
    actor_id: str
    reason: str = ""


@dataclass
class DoneInput:
    actor_id: str
    note: str = ""


@dataclass
class CancelInput:
    actor_id: str
    reason: str


@dataclass
class WithdrawInput:
    """The resident takes back their own request (before the officer is on the way)."""

    resident_id: str
    reason: str = ""


@dataclass
class VisitChange:
    """What the service records for one transition (seq orders them, dedupes retries)."""

    visit_id: str
    seq: int
    event: str  # assigned | scheduled | rescheduled | done | escalated | cancelled
    stage: str
    officer_id: str | None
    station_code: str | None
    scheduled_at: datetime | None
    due_at: datetime | None
    escalated: bool
    actor_id: str
    reason: str
    at: datetime


@dataclass
class VisitState:
    visit_id: str
    stage: str
    officer_id: str | None
    station_code: str | None
    scheduled_at: datetime | None
    deadline: datetime | None
    escalated: bool
    history: list[str] = field(default_factory=list)
