"""The desk administration's HTTP contract (/internal/v1/admin/desk of the appointments
service, and the portal's /api/v1/admin/desk): the catalogue's services, offices with their
hours, seats, windows and closures, what a change did to existing bookings, the bookings to
move. Bookings and the rest of the desk: appointments.py."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.appointments import (
    ClosureRead,
    Id,
    LocalTime,
    OfficeRead,
    ReadModel,
    ServiceRead,
)

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
