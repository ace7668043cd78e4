"""What the disputes service answers its clients (the portal) with: a case, the rows of a case
list, the stuck board, the figures, the directory's villages and officers, the answers of the
board's repairs (XRead). The service's routes declare them as their response models and the
portal reads them back through its one backend client (`call_service(..., answer=Model)`);
tests/shared/test_contracts.py holds the service's OpenAPI to them field for field.

An answer ignores a field it does not know (the service may add one first), and a timestamp
read back without its offset (SQLite keeps none) is UTC, as the service writes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from shared.tasks import assume_utc


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")

    _utc = field_validator("*")(assume_utc)


# --- a case -------------------------------------------------------------------------------


class PartyRead(_Read):
    name: str
    phone: str
    id_number: str | None
    role: str
    user_id: str | None


class EarlierCase(_Read):
    """Another case of the same household, newest first."""

    case_id: str
    case_no: str
    colour: str
    stage: str
    reported_at: datetime


class HouseholdRead(_Read):
    household_id: str
    name: str
    earlier_cases: list[EarlierCase]


class ColourChangeRead(_Read):
    at: datetime
    previous: str | None
    colour: str
    rules_fired: list[str]
    reason: str
    by: str


class TimelineRead(_Read):
    """One entry of the case's timeline (`seq` below zero: a repair, written by the service)."""

    seq: int
    at: datetime
    kind: str
    actor_id: str
    stage: str
    colour: str
    assignee_id: str | None
    note: str
    data: dict[str, Any]


class CaseSummary(_Read):
    """A row of a case list (a resident's cases, a station's)."""

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
    """The case as the service's tables hold it (the running workflow may be ahead: its
    `CaseView` in shared/contracts/disputes.py)."""

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


class CaseStarted(_Read):
    case_id: str


# --- the stuck board ----------------------------------------------------------------------


class StuckRow(_Read):
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
    colour: str | None = None  # red | yellow | green: the case's grade now
    used_pct: int | None = None
    window_start: datetime | None = None
    deadline: datetime | None = None
    attempts: int | None = None
    activity: str | None = None
    last_failure: str | None = None
    officers_tried: int | None = None
    # the partner organisation whose channel a failing linkage notice waits on
    partner_code: str | None = None


class WorkerHealth(_Read):
    """`polled`: some worker polled the queue's workflow and activity tasks within `stale`.
    `why` says in words what is wrong (None when all is well)."""

    task_queue: str
    polled: bool
    last_poll: datetime | None = None
    why: str | None = None


class StuckBoard(_Read):
    items: list[StuckRow]
    by_station: dict[str, int]
    by_officer: dict[str, int]
    # whether a worker polls the service's task queue (None: the engine did not answer)
    workers: WorkerHealth | None = None


class RetryRead(_Read):
    case_id: str
    activities_reset: int


class RepairRead(_Read):
    case_id: str
    repair: str
    activities: int | None = None
    run_id: str | None = None


class Repair(_Read):
    case_id: str
    kind: str  # terminated | failed | timed_out | canceled | missing | completed | missing_row
    stage: str
    tasks_closed: int
    tasks_rebuilt: int = 0


class ReconcileRead(_Read):
    checked: int
    repaired: list[Repair]


class LifecycleRead(_Read):
    """The lifecycle configuration new cases start with: the installation's lifecycle.yaml with
    the newest saved lifecycle policy version's deadlines laid over it (the file as it is while
    no version is saved)."""

    lifecycle_yaml: str
    policy_version: int = 0  # the saved lifecycle policy version it carries (0: the file)
    policy_reason: str | None = None
    policy_author_id: str | None = None


class RolloutRead(_Read):
    """A roll-out of a lifecycle version: the cases that took it, and why others refused."""

    version: str
    rolled: list[str]
    refused: dict[str, str]


# --- figures and the directory's reads ----------------------------------------------------


class Durations(_Read):
    median_hours: float | None
    p90_hours: float | None


class Figures(_Read):
    open_by_colour_township: dict[str, dict[str, int]]
    stage_durations: dict[str, Durations]
    settled_per_month: dict[str, int]
    sla_breaches_per_station: dict[str, int]
    # cases by the month they were reported and their colour now: the colours' trend
    reported_per_month_colour: dict[str, dict[str, int]] = {}


class VillageRead(_Read):
    code: str
    name: str
    township: str
    station_code: str
    police_room_code: str


class OfficerRead(_Read):
    user_id: str
    name: str
    station_code: str
    open_cases: int
