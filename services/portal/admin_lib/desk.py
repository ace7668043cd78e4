"""Six-ways desk administration on the admin pages and in the JSON API: the typed bodies, the
labels, the calls to the appointments service and the forms turned into its bodies.

The appointments service owns the catalogue, offices, hours, seats and closures; it checks
every change and answers what the change did to existing bookings (none is cancelled: those
left without their place are listed to move, and their residents are told)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from services.portal.backend import Problem, call_service
from services.portal.deps import ServiceClients, User
from shared.contracts.appointments_desk import (
    Change,
    ClosureIn,
    ClosureSaved,
    HoursIn,
    HoursOut,
    OfficeDetail,
    OfficeIn,
    OfficeOut,
    OfficeSaved,
    SeatsIn,
    ServiceIn,
    ServiceOut,
    ServiceSaved,
    ToMove,
    WindowOut,
    WindowsIn,
)

# the desk's contract (shared/contracts/appointments_desk.py), as the admin areas use it
__all__ = [
    "Change",
    "ClosureIn",
    "ClosureSaved",
    "HoursIn",
    "HoursOut",
    "OfficeDetail",
    "OfficeIn",
    "OfficeOut",
    "OfficeSaved",
    "SeatsIn",
    "ServiceIn",
    "ServiceOut",
    "ServiceSaved",
    "ToMove",
    "WindowOut",
    "WindowsIn",
]
T = TypeVar("T")

UNAVAILABLE = "the appointments service is not available right now"
WAYS = {
    "online": "Online",
    "appointment": "By appointment",
    "one_visit": "One visit",
    "extended": "Extended hours",
    "self_service": "Self-service",
    "door_to_door": "Door-to-door",
}
SEAT_WAYS = ("appointment", "one_visit", "door_to_door")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CAUSES = {
    "closure": "The office is closed that day",
    "hours": "Outside the new opening hours",
    "seats": "Fewer seats than bookings",
    "service": "The office no longer offers the service",
    "way": "The service is no longer offered this way",
}
SLOT_MINUTES = (10, 15, 20, 30, 60)
NEW_ROWS = 2


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slot_id: str = Field(min_length=1, max_length=64, description="a free slot of the same way")


class Moved(BaseModel):
    booking_code: str
    starts_at: datetime
    slot_id: str


async def desk_call(
    clients: ServiceClients,
    user: User,
    method: str,
    path: str,
    *,
    answer: type[T],
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> T:
    """A call to the desk's admin API as `user` (who acts); `answer`: the shared model of the
    reply, e.g. `list[ToMove]` (a problem answer raises, services/portal/backend.py)."""
    body = None if json is None else {**json, "actor_id": user.user_id}
    return await call_service(
        clients.appointments,
        UNAVAILABLE,
        method,
        path,
        user,
        answer=answer,
        json=body,
        params=params,
    )


# --- forms -------------------------------------------------------------------------------


def text(form: FormData, name: str, limit: int = 256) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def number(value: str) -> int | str:
    return int(value) if value.isdigit() and len(value) < 7 else value


def service_body(form: FormData) -> dict[str, Any]:
    lines = text(form, "checklist", 4000).splitlines()
    return {
        "name": text(form, "name", 128),
        "name_en": text(form, "name_en", 128),
        "category": text(form, "category", 32),
        "checklist": [x.strip() for x in lines if x.strip()],
        "promised_days": number(text(form, "promised_days", 8)),
        "ways": [w for w in WAYS if form.get(f"way.{w}")],
    }


def office_body(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name", 128),
        "kind": text(form, "kind", 16),
        "county_code": text(form, "county_code", 8),
        "station_code": text(form, "station_code", 32) or None,
        "address": text(form, "address"),
        "slot_minutes": number(text(form, "slot_minutes", 4)),
        "always_open": bool(form.get("always_open")),
        "services": [str(x) for x in form.getlist("services")][:50],
    }


@dataclass
class Row:
    """One row of a repeated fieldset (hours or windows), as typed."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Rows:
    rows: list[Row]
    sent: list[int] = field(default_factory=list)  # form row of each item sent, in order
    errors: dict[str, str] = field(default_factory=dict)

    def show(self, problems: list[Problem], prefix: str) -> None:
        """Each problem next to its field: `hours.2.opens` on the third period sent."""
        for p in problems:
            parts = p.field.split(".")
            if len(parts) >= 2 and parts[0] == prefix and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self.sent):
                    key = parts[2] if len(parts) > 2 else "row"
                    self.rows[self.sent[index]].errors[key] = p.reason
                    continue
            self.errors[p.field] = p.reason


HOUR_KEYS = ("weekday", "opens", "closes", "extended")
WINDOW_KEYS = ("code", "name", "always_open")


def _flag(value: bool) -> str:
    return "1" if value else ""


def blank_rows(keys: tuple[str, ...]) -> list[Row]:
    return [Row(dict.fromkeys(keys, "")) for _ in range(NEW_ROWS)]


def hour_rows(hours: list[HoursOut]) -> Rows:
    rows = [
        Row(
            {
                "weekday": str(h.weekday),
                "opens": h.opens,
                "closes": h.closes,
                "extended": _flag(h.extended),
            }
        )
        for h in hours
    ]
    return Rows(rows + blank_rows(HOUR_KEYS))


def window_rows(windows: list[WindowOut]) -> Rows:
    rows = [
        Row({"code": w.code, "name": w.name, "always_open": _flag(w.always_open)}) for w in windows
    ]
    return Rows(rows + blank_rows(WINDOW_KEYS))


@dataclass(frozen=True)
class ServiceForm:
    """The service form's values: the service as the desk holds it, or as typed (a refused
    save shows back what was sent, e.g. a promised time that is not a number)."""

    code: str
    name: str = ""
    name_en: str = ""
    category: str = ""
    checklist: list[str] = field(default_factory=list)
    promised_days: int | str = 1
    ways: list[str] = field(default_factory=lambda: ["appointment"])

    @classmethod
    def of(cls, svc: ServiceOut) -> ServiceForm:
        return cls(
            code=svc.code,
            name=svc.name,
            name_en=svc.name_en,
            category=svc.category,
            checklist=list(svc.checklist),
            promised_days=svc.promised_days,
            ways=list(svc.ways),
        )

    @classmethod
    def sent(cls, code: str, body: dict[str, Any]) -> ServiceForm:
        return cls(
            code=code,
            name=body["name"],
            name_en=body["name_en"],
            category=body["category"],
            checklist=body["checklist"],
            promised_days=body["promised_days"],
            ways=body["ways"],
        )


def blank_office() -> OfficeDetail:
    return OfficeDetail(
        code="",
        name="",
        kind="station",
        county_code="",
        station_code="",
        address="",
        slot_minutes=30,
        always_open=False,
        services=[],
        hours=[],
        seats=[],
        windows=[],
        closures=[],
    )


def parse_rows(form: FormData, prefix: str, keys: tuple[str, ...], flags: set[str]) -> Rows:
    count_text = text(form, "count", 4)
    count = min(int(count_text), 120) if count_text.isdigit() else 0
    out = Rows([])
    for i in range(count):
        values = {k: text(form, f"{prefix}{i}.{k}", 64) for k in keys}
        if text(form, f"{prefix}{i}.remove") or not any(
            values[k] for k in keys if k not in flags and k != "weekday"
        ):
            continue
        out.sent.append(len(out.rows))
        out.rows.append(Row(values))
    return out


def hours_body(rows: Rows) -> dict[str, Any]:
    return {
        "hours": [
            {
                "weekday": number(r.values["weekday"]),
                "opens": r.values["opens"],
                "closes": r.values["closes"],
                "extended": bool(r.values["extended"]),
            }
            for r in rows.rows
        ]
    }


def windows_body(rows: Rows) -> dict[str, Any]:
    return {
        "windows": [
            {
                "code": r.values["code"],
                "name": r.values["name"],
                "always_open": bool(r.values["always_open"]),
            }
            for r in rows.rows
        ]
    }


def seats_body(form: FormData) -> dict[str, Any]:
    return {
        "seats": {
            w: number(text(form, f"seats.{w}", 8)) for w in SEAT_WAYS if text(form, f"seats.{w}")
        }
    }
