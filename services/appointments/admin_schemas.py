"""Request and response models of the desk administration API (/internal/v1/admin/desk)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.appointments import ClosureRead, Id, LocalTime, ReadModel, ServiceRead

Way = Literal["online", "appointment", "one_visit", "extended", "self_service", "door_to_door"]
SeatWay = Literal["appointment", "one_visit", "door_to_door"]
Code = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,31}$")
Time = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["08:30"])


class ServiceUpdate(BaseModel):
    actor_id: Id
    name: str = Field(min_length=1, max_length=128, description="Chinese name")
    name_en: str = Field(min_length=1, max_length=128)
    category: str = Field(min_length=1, max_length=32)
    checklist: list[str] = Field(
        default=[], max_length=30, description="documents to bring (unique, 1-64 characters)"
    )
    promised_days: int = Field(ge=0, le=365, description="promised processing time in days")
    ways: list[Way] = Field(min_length=1, description="the six ways it is offered")


class OfficeUpdate(BaseModel):
    actor_id: Id
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["station", "hall"]
    county_code: str = Field(min_length=1, max_length=8)
    station_code: str | None = Field(default=None, max_length=32)
    address: str = Field(default="", max_length=256)
    slot_minutes: Literal[10, 15, 20, 30, 60] = 30
    always_open: bool = Field(default=False, description="a 365 x 24 extended-hours window")
    services: list[str] = Field(default=[], max_length=50, description="service codes offered")


class HoursPeriod(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    opens: str = Time
    closes: str = Time
    extended: bool = Field(default=False, description="extended hours (延时办)")


class HoursUpdate(BaseModel):
    actor_id: Id
    hours: list[HoursPeriod] = Field(max_length=100)


class SeatsUpdate(BaseModel):
    actor_id: Id
    seats: dict[SeatWay, int] = Field(description="seats per slot for each way (0-100)")


class WindowIn(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=64)
    always_open: bool = False


class WindowsUpdate(BaseModel):
    actor_id: Id
    windows: list[WindowIn] = Field(max_length=50)


class ClosureDelete(BaseModel):
    actor_id: Id


class HoursRead(ReadModel):
    weekday: int
    opens: str
    closes: str
    extended: bool


class SeatsRead(ReadModel):
    way: str
    seats: int


class DeskWindowRead(ReadModel):
    code: str
    name: str
    always_open: bool


class ChangeRead(BaseModel):
    """What a change did to existing bookings: none is cancelled."""

    listed: list[str] = Field(description="bookings newly listed to move (residents told)")
    restored: list[str] = Field(description="bookings back in place (residents told)")


class OfficeDetail(BaseModel):
    code: str
    name: str
    kind: str
    county_code: str
    station_code: str | None
    address: str
    slot_minutes: int
    always_open: bool
    services: list[str]
    hours: list[HoursRead]
    seats: list[SeatsRead]
    windows: list[DeskWindowRead]
    closures: list[ClosureRead]


class ToMoveRead(BaseModel):
    booking_code: str
    resident_id: str
    service_code: str
    office_code: str
    way: str
    starts_at: LocalTime
    status: str
    cause: str
    detected_at: LocalTime


class ServiceSaved(BaseModel):
    service: ServiceRead
    change: ChangeRead


class OfficeSaved(BaseModel):
    office: OfficeDetail
    change: ChangeRead


class ClosureSaved(BaseModel):
    closure: ClosureRead
    change: ChangeRead
