"""Who an event reaches: its routing rule's audiences resolved to recipients, per channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import Recipient
from services.notifications.routing import EventRule
from shared.messaging.events import Event


@dataclass(frozen=True)
class Planned:
    audience: str
    recipient_id: str
    channel: str


def _ids(*values: object) -> list[str]:
    out: list[str] = []
    for value in values:
        items: Iterable[object] = value if isinstance(value, list) else [value]
        out.extend(str(v) for v in items if v)
    return out


async def _staff(session: AsyncSession, event: Event) -> dict[str, Recipient]:
    """The event's officers, read only when the event does not name its station itself."""
    if getattr(event, "station_code", None):
        return {}
    people: dict[str, Recipient] = {}
    for person in staff_ids(event):
        row = await session.get(Recipient, person)
        if row is not None:
            people[person] = row
    return people


async def _audience(session: AsyncSession, who: str, event: Event) -> list[str]:
    get = getattr
    if who == "parties":
        resident_reporter = get(event, "reporter_kind", "") == "resident"
        reporter = get(event, "reporter_id", None) if resident_reporter else None
        return _ids(get(event, "resident_ids", []), reporter)
    if who == "assignee":
        return _ids(get(event, "assignee_id", None))
    if who == "resident":
        return _ids(get(event, "resident_id", None))
    if who == "officer":
        return _ids(get(event, "officer_id", None))
    if who == "account":
        return _ids(get(event, "account_id", None))
    if who == "helpers":
        return _ids(get(event, "helper_ids", []))
    if who == "applicant":  # someone registering: no recipient row yet, only the event's phone
        registration = get(event, "registration_id", None)
        return [f"applicant:{registration}"] if registration else []
    # admins: every administrator (they keep the county's items and prices);
    # county_desk: the county bureau's duty desk, which its administrators hold
    if who in ("admins", "county_desk"):
        return sorted(
            await session.scalars(select(Recipient.user_id).where(Recipient.role == "admin"))
        )
    if who in ("group_leader", "clerk"):  # of the event's village (its group, its shop)
        village = get(event, "village_code", None)
        rows = await session.scalars(
            select(Recipient.user_id).where(
                Recipient.role == who, Recipient.village_code == village
            )
        )
        return sorted(rows)
    station = station_from(event, await _staff(session, event))
    if who == "station_group":
        return [f"station:{station}"] if station else []
    # station_chief: the named chief of an escalation, else every chief of the station
    if get(event, "chief_id", None):
        return _ids(get(event, "chief_id", None))
    if station is None:
        return []
    rows = await session.scalars(
        select(Recipient.user_id).where(
            Recipient.role == "station_chief", Recipient.station_code == station
        )
    )
    return sorted(rows)


async def plan(session: AsyncSession, rule: EventRule, event: Event) -> list[Planned]:
    seen: set[tuple[str, str]] = set()
    out: list[Planned] = []
    for target in rule.targets(event):
        for person in await _audience(session, target.who, event):
            for channel in target.channels:
                if (person, channel) not in seen:
                    seen.add((person, channel))
                    out.append(Planned(target.who, person, channel))
    return out


class Staffed(Protocol):
    @property
    def station_code(self) -> str | None: ...


def station_from(event: Event, people: Mapping[str, Staffed]) -> str | None:
    """The event's station: its own, else its first officer's among `people` (already read)."""
    station = getattr(event, "station_code", None)
    if station:
        return str(station)
    for person in staff_ids(event):
        row = people.get(person)
        if row is not None and row.station_code:
            return row.station_code
    return None


def staff_ids(event: Event) -> list[str]:
    return _ids(getattr(event, "assignee_id", None), getattr(event, "officer_id", None))
