"""The appointments service's HTTP contract (XCreate / XUpdate / XRead): what its clients (the
portal) send and read.

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


# --- desk administration (/internal/v1/admin/desk, and the portal's /api/v1/admin/desk) ------
# The class names are those /api/v1 publishes (its versioning policy keeps them); the portal's
# bodies are the `...In` models, the service's add who acts (`...Update`).

Way = Literal["online", "appointment", "one_visit", "extended", "self_service", "door_to_door"]
SeatWay = Literal["appointment", "one_visit", "door_to_door"]
CODE = r"^[A-Za-z][A-Za-z0-9_]{1,31}$"
TIME = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ServiceIn(_In):
    name: str = Field(min_length=1, max_length=128, description="Chinese name")
    name_en: str = Field(min_length=1, max_length=128)
    category: str = Field(min_length=1, max_length=32)
    checklist: list[str] = Field(
        default=[], max_length=30, description="documents to bring, each named once"
    )
    promised_days: int = Field(ge=0, le=365, description="promised processing time, in days")
    ways: list[Way] = Field(min_length=1, description="the ways it is offered")


class OfficeIn(_In):
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["station", "hall"]
    county_code: str = Field(min_length=1, max_length=8)
    station_code: str | None = Field(default=None, max_length=32)
    address: str = Field(default="", max_length=256)
    slot_minutes: Literal[10, 15, 20, 30, 60] = 30
    always_open: bool = Field(default=False, description="a 365 x 24 extended-hours window")
    services: list[str] = Field(default=[], max_length=50, description="service codes offered")


class HoursPeriod(_In):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    opens: str = Field(pattern=TIME, examples=["08:30"])
    closes: str = Field(pattern=TIME, examples=["12:00"], description="after opens; 24:00 allowed")
    extended: bool = Field(default=False, description="extended hours")


class HoursIn(_In):
    hours: list[HoursPeriod] = Field(
        max_length=100, description="the whole week; periods of one day do not overlap"
    )


class SeatsIn(_In):
    seats: dict[SeatWay, int] = Field(description="seats per slot for each way, 0 to 100")


class WindowIn(_In):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=64)
    always_open: bool = False


class WindowsIn(_In):
    windows: list[WindowIn] = Field(max_length=50, description="codes are unique")


class ClosureIn(_In):
    office_code: str = Field(min_length=1, max_length=32, description='"*": every office')
    day: date = Field(description="today or later")
    reason: str = Field(min_length=1, max_length=128, examples=["元旦"])


class ServiceUpdate(ServiceIn):
    actor_id: Id


class OfficeUpdate(OfficeIn):
    actor_id: Id


class HoursUpdate(HoursIn):
    actor_id: Id


class SeatsUpdate(SeatsIn):
    actor_id: Id


class WindowsUpdate(WindowsIn):
    actor_id: Id


class ClosureDelete(_In):
    actor_id: Id


class ServiceOut(ServiceRead):
    pass


class OfficeOut(OfficeRead):
    pass


class ClosureOut(ClosureRead):
    pass


class HoursOut(ReadModel):
    weekday: int
    opens: str
    closes: str
    extended: bool


class SeatsOut(ReadModel):
    way: str
    seats: int


class WindowOut(ReadModel):
    code: str
    name: str
    always_open: bool


class OfficeDetail(OfficeOut):
    hours: list[HoursOut]
    seats: list[SeatsOut]
    windows: list[WindowOut]
    closures: list[ClosureOut]


class Change(BaseModel):
    """What a change did to existing bookings: none is cancelled."""

    listed: list[str] = Field(description="bookings newly listed to move; residents told")
    restored: list[str] = Field(description="bookings back in place; residents told")


class ServiceSaved(BaseModel):
    service: ServiceOut
    change: Change


class OfficeSaved(BaseModel):
    office: OfficeDetail
    change: Change


class ClosureSaved(BaseModel):
    closure: ClosureOut
    change: Change


class ToMove(BaseModel):
    """A booking a change left without its place, still to move."""

    booking_code: str
    resident_id: str
    service_code: str
    office_code: str
    way: str
    starts_at: LocalTime
    status: str
    cause: str
    detected_at: LocalTime
