"""Request and response models of the disputes API (XCreate / XUpdate / XRead)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.pollers import WorkerHealth


class PartyRead(BaseModel):
    name: str
    phone: str
    id_number: str | None
    role: str
    user_id: str | None


class EarlierCase(BaseModel):
    case_id: str
    case_no: str
    colour: str
    stage: str
    reported_at: datetime


class HouseholdRead(BaseModel):
    household_id: str
    name: str
    earlier_cases: list[EarlierCase]


class ColourChangeRead(BaseModel):
    at: datetime
    previous: str | None
    colour: str
    rules_fired: list[str]
    reason: str
    by: str


class TimelineRead(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor_id: str
    stage: str
    colour: str
    assignee_id: str | None
    note: str
    data: dict[str, Any]


class CaseSummary(BaseModel):
    case_id: str
    case_no: str
    category: str
    village_code: str
    station_code: str
    stage: str
    colour: str
    assignee_id: str | None
    reported_at: datetime
    stage_deadline: datetime | None


class CaseRead(CaseSummary):
    description: str
    township: str
    reporter_kind: str
    reporter_id: str | None
    rules_fired: list[str]
    risk: dict[str, Any]
    settlement: str | None
    closed_at: datetime | None
    parties: list[PartyRead]
    households: list[HouseholdRead]
    colour_history: list[ColourChangeRead]
    timeline: list[TimelineRead]
    open_tasks: list[str]
    allowed_actions: list[str]


class StuckRow(BaseModel):
    case_id: str
    case_no: str | None
    station_code: str | None
    station_name: str | None = None
    assignee_id: str | None
    kind: str  # business | technical
    level: str  # red | amber
    why: str  # the same in English words (logs, older clients)
    since: datetime | None
    # structured figures, for pages to word and translate (no parsing of `why`)
    code: str = "breached"  # breached | nearly | idle | not_accepted | activity | workflow_task
    stage: str | None = None
    used_pct: int | None = None
    window_start: datetime | None = None
    deadline: datetime | None = None
    attempts: int | None = None
    activity: str | None = None
    last_failure: str | None = None
    officers_tried: int | None = None


class StuckBoard(BaseModel):
    items: list[StuckRow]
    by_station: dict[str, int]
    by_officer: dict[str, int]
    # whether a worker polls the service's task queue (None: the engine did not answer)
    workers: WorkerHealth | None = None


class Durations(BaseModel):
    median_hours: float | None
    p90_hours: float | None


class Figures(BaseModel):
    open_by_colour_township: dict[str, dict[str, int]]
    stage_durations: dict[str, Durations]
    settled_per_month: dict[str, int]
    sla_breaches_per_station: dict[str, int]
    # cases by the month they were reported and their colour now: the colours' trend
    reported_per_month_colour: dict[str, dict[str, int]] = {}


class VillageRead(BaseModel):
    code: str
    name: str
    township: str
    station_code: str
    police_room_code: str


class OfficerRead(BaseModel):
    user_id: str
    name: str
    station_code: str
    open_cases: int


class RetryRead(BaseModel):
    case_id: str
    activities_reset: int
