"""The appointments service's HTTP contract for bookings, online applications, door-to-door
visits, kiosks, closures and the desk's figures (XCreate / XUpdate / XRead): what its clients
(the portal) send and read. The desk administration's contract: appointments_desk.py.

Times go out in the local zone (FQ_TIMEZONE, with offset), which is what residents and staff read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared.localtime import local_zone

TZ = local_zone()


def _local(dt: datetime) -> str:
    from datetime import UTC

    aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
    return aware.astimezone(TZ).isoformat()


LocalTime = Annotated[datetime, PlainSerializer(_local, return_type=str)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ServiceRead(ReadModel):
    code: str
    name: str
    name_en: str
    category: str
    checklist: list[str]
    promised_days: int
    ways: list[str]


class OfficeRead(ReadModel):
    code: str
    name: str
    kind: str
    county_code: str
    station_code: str | None
    address: str
    slot_minutes: int
    always_open: bool
    services: list[str]


class WindowRead(ReadModel):
    office_code: str
    code: str
    name: str
    always_open: bool


class SlotRead(BaseModel):
    slot_id: str
    office_code: str
    way: str
    starts_at: LocalTime
    ends_at: LocalTime
    extended: bool
    free: int


class BookingCreate(BaseModel):
    resident_id: Id
    service_code: Id
    slot_id: Id
    documents: list[str] = []
    hold: bool = False


class BookingRead(ReadModel):
    code: str
    resident_id: str
    service_code: str
    office_code: str
    slot_id: str
    way: str
    starts_at: LocalTime
    ends_at: LocalTime
    status: str
    held_until: LocalTime | None
    documents: list[str]
    missing: list[str]
    window_code: str | None
    checked_in_at: LocalTime | None


class BookingConfirm(BaseModel):
    resident_id: Id


class BookingCancel(BaseModel):
    actor_id: Id
    resident_id: str | None = None  # set when a resident acts: only their own booking
    reason: str = Field(default="", max_length=500)


class BookingReschedule(BaseModel):
    actor_id: Id
    slot_id: Id
    resident_id: str | None = None


class CheckIn(BaseModel):
    actor_id: Id
    window_code: Id


class PrecheckUpdate(BaseModel):
    actor_id: Id
    missing: list[str] = []


class DocumentsUpdate(BaseModel):
    resident_id: Id
    documents: list[str] = Field(min_length=1)


class ApplicationCreate(BaseModel):
    resident_id: Id
    village_code: str | None = None
    service_code: Id
    documents: list[str] = []
    details: str = Field(default="", max_length=2000)


class ApplicationRead(ReadModel):
    id: str
    resident_id: str
    service_code: str
    documents: list[str]
    details: str
    status: str
    assignee_id: str | None
    village_code: str | None
    station_code: str | None
    due_at: LocalTime
    created_at: LocalTime
    decided_at: LocalTime | None
    note: str


class ApplicationDecision(BaseModel):
    actor_id: Id
    decision: Literal["approved", "rejected", "returned"]
    note: str = Field(default="", max_length=1000)


class HomeVisitCreate(BaseModel):
    resident_id: Id
    village_code: str | None = None
    service_code: Id
    reason: Literal["elderly", "sick", "disabled"]
    address: str = Field(default="", max_length=256)
    phone: str = Field(default="", max_length=32)


class HomeVisitRead(ReadModel):
    id: str
    resident_id: str
    service_code: str
    village_code: str
    station_code: str | None
    reason: str
    address: str
    phone: str
    status: str
    officer_id: str | None
    scheduled_at: LocalTime | None
    due_at: LocalTime | None
    escalated: bool
    created_at: LocalTime
    done_at: LocalTime | None


class HomeVisitAction(BaseModel):
    actor_id: Id
    action: Literal["schedule", "reschedule", "done", "cancel"]
    scheduled_at: datetime | None = None
    reason: str = Field(default="", max_length=500)


class VisitStateRead(BaseModel):
    visit_id: str
    stage: str
    officer_id: str | None
    scheduled_at: LocalTime | None
    deadline: LocalTime | None
    escalated: bool


class KioskRead(ReadModel):
    code: str
    office_code: str
    location: str
    services: list[str]
    hours: str
    in_service: bool
    note: str
    updated_at: LocalTime | None


class KioskUpdate(BaseModel):
    actor_id: Id
    in_service: bool
    note: str = Field(default="", max_length=256)


class CapacityUpdate(BaseModel):
    actor_id: Id
    office_code: Id
    way: Literal["appointment", "one_visit", "door_to_door"]
    seats: int = Field(ge=0, le=100)


class ClosureCreate(BaseModel):
    actor_id: Id
    office_code: Id  # "*" closes every office
    day: date
    reason: str = Field(min_length=1, max_length=128)


class ClosureRead(ReadModel):
    office_code: str
    day: date
    reason: str


class AuditRead(ReadModel):
    entity: str
    entity_id: str
    action: str
    actor_id: str
    at: LocalTime
    detail: dict[str, object]


class JobsRead(BaseModel):
    holds_released: int
    reminders_sent: int
    no_shows: int


class Withdrawal(BaseModel):
    """A resident takes back their own open application or door-to-door request."""

    resident_id: Id
    reason: str = Field(default="", max_length=500)


class DeskFiguresRead(BaseModel):
    """The desk's figures (GET /internal/v1/figures): served per local month and way, the
    average wait for a slot, the share decided within the promised time."""

    served_per_month: dict[str, dict[str, int]] = Field(
        description="month (YYYY-MM) -> way -> services delivered"
    )
    served_total: int
    average_wait_days: float | None = Field(description="None: no booking yet")
    promised_time_compliance: float | None = Field(description="0 to 1; None: nothing decided")
    open_applications: int
