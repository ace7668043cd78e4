"""Domain logic of the notifications service (no FastAPI, no aio-pika here).

An event becomes deliveries: the routing rules name the audiences, each audience resolves to
recipients (learned from `user.upserted`), each recipient gets one row per channel, keyed by
(event id, recipient, channel) so a redelivered event adds nothing. Inbox rows are delivered
at once; SMS, e-mail and bot rows wait for the delivery worker (see `delivery.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import QUEUED, SENT, Delivery, Preference, Recipient
from services.notifications.render import Renderer, event_context
from services.notifications.routing import EventRule, RoutingRules
from shared.config import NotificationsSettings
from shared.localtime import local_zone
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import insert_ignore_count

EXTERNAL_CHANNELS = ("sms", "email", "bot")
DIGEST_CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class Planned:
    audience: str
    recipient_id: str
    channel: str


async def upsert_recipient(session: AsyncSession, event: UserUpserted) -> None:
    values = {
        "role": event.role,
        "display_name": event.display_name,
        "phone": event.phone,
        "email": event.email,
        "language": event.language,
        "village_code": event.village_code,
        "station_code": event.station_code,
        "police_room_code": event.police_room_code,
    }
    row = await session.get(Recipient, event.user_id)
    if row is None:
        session.add(Recipient(user_id=event.user_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()


def _ids(*values: object) -> list[str]:
    out: list[str] = []
    for value in values:
        items: Iterable[object] = value if isinstance(value, list) else [value]
        out.extend(str(v) for v in items if v)
    return out


async def _station_of(session: AsyncSession, event: Event) -> str | None:
    station = getattr(event, "station_code", None)
    if station:
        return str(station)
    for person in _ids(getattr(event, "assignee_id", None), getattr(event, "officer_id", None)):
        row = await session.get(Recipient, person)
        if row is not None and row.station_code:
            return row.station_code
    return None


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
    if who in ("group_leader", "clerk"):  # of the event's village (its group, its shop)
        village = get(event, "village_code", None)
        rows = await session.scalars(
            select(Recipient.user_id).where(
                Recipient.role == who, Recipient.village_code == village
            )
        )
        return sorted(rows)
    if who == "county_desk":  # the county bureau's duty desk: its administrators
        return sorted(
            await session.scalars(select(Recipient.user_id).where(Recipient.role == "admin"))
        )
    station = await _station_of(session, event)
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


def quiet_until(now: datetime, start_hour: int, end_hour: int, tz: ZoneInfo) -> datetime | None:
    """End of the quiet period `now` falls in (hours are local, the window may span midnight)."""
    if start_hour == end_hour:
        return None
    local = now.astimezone(tz)
    h = local.hour
    wraps = start_hour > end_hour
    quiet = (h >= start_hour or h < end_hour) if wraps else (start_hour <= h < end_hour)
    if not quiet:
        return None
    end = local.replace(hour=end_hour, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


def next_window(now: datetime, minutes: int) -> datetime:
    step = minutes * 60
    return datetime.fromtimestamp(math.ceil(now.timestamp() / step) * step, UTC)


def _address(channel: str, recipient_id: str, person: Recipient | None) -> str | None:
    if channel == "inbox":
        return ""
    if channel == "bot":
        station = recipient_id.removeprefix("station:")
        return station if station != recipient_id else None
    if person is None:
        return None
    return person.phone if channel == "sms" else person.email


def default_preference(user_id: str, settings: NotificationsSettings) -> Preference:
    return Preference(
        user_id=user_id,
        disabled={},
        quiet_enabled=True,
        quiet_start_hour=settings.quiet_start_hour,
        quiet_end_hour=settings.quiet_end_hour,
    )


async def _people(
    session: AsyncSession, ids: list[str]
) -> tuple[dict[str, Recipient], dict[str, Preference]]:
    """The recipients and preferences of `ids` in two queries, whoever of them is known."""
    if not ids:
        return {}, {}
    people = await session.scalars(select(Recipient).where(Recipient.user_id.in_(ids)))
    prefs = await session.scalars(select(Preference).where(Preference.user_id.in_(ids)))
    return {p.user_id: p for p in people}, {p.user_id: p for p in prefs}


async def record_event(
    session: AsyncSession,
    *,
    rules: RoutingRules,
    renderer: Renderer,
    settings: NotificationsSettings,
    event: Event,
    now: datetime,
) -> int:
    """Turn one event into deliveries; returns how many new rows were written."""
    rule = rules.rule_for(event.routing_key)
    if rule is None or not renderer.has_template(event.routing_key):
        return 0
    urgent = rule.is_urgent(event)
    tz = local_zone()
    rows: list[dict[str, object]] = []
    station = None
    planned = await plan(session, rule, event)
    ids = list(dict.fromkeys(item.recipient_id for item in planned))
    people, prefs = await _people(session, ids)
    for item in planned:
        person = people.get(item.recipient_id)
        pref = prefs.get(item.recipient_id) or default_preference(item.recipient_id, settings)
        switched_off = pref.disabled.get(rule.kind, [])
        if (
            item.channel != "inbox"
            and item.channel in switched_off
            and rule.kind not in rules.always_on
        ):
            continue
        address = _address(item.channel, item.recipient_id, person)
        if item.audience == "applicant":
            address = getattr(event, "phone", None) if item.channel == "sms" else None
        if address is None or (item.channel != "inbox" and not address):
            continue
        due, deferred = now, False
        if item.channel in EXTERNAL_CHANNELS and not urgent:
            if pref.quiet_enabled:
                until = quiet_until(now, pref.quiet_start_hour, pref.quiet_end_hour, tz)
                if until is not None:
                    due, deferred = until, True
            role = person.role if person is not None else ""
            if (
                item.channel in DIGEST_CHANNELS
                and role in settings.digest_roles
                and settings.digest_window_minutes > 0
            ):
                due = max(due, next_window(now, settings.digest_window_minutes))
        language = person.language if person is not None else getattr(event, "language", "zh-CN")
        text = renderer.render(
            event.routing_key, language, item.channel, event_context(event, item.audience)
        )
        if not rows:
            station = await _station_of(session, event)
        rows.append(
            {
                "event_id": event.event_id,
                "routing_key": event.routing_key,
                "kind": rule.kind,
                "recipient_id": item.recipient_id,
                "channel": item.channel,
                "address": address,
                "urgent": urgent,
                "subject": text.subject[:255],
                "body": text.body,
                "language": language,
                "reference": _reference(event),
                "station_code": station,
                "status": SENT if item.channel == "inbox" else QUEUED,
                "attempts": 0,
                "last_error": "",
                "digested": False,
                "deferred": deferred,
                "occurred_at": event.occurred_at.astimezone(UTC),
                "created_at": now,
                "next_attempt_at": due,
                "sent_at": now if item.channel == "inbox" else None,
            }
        )
    # one statement for the event's deliveries; a redelivered event's rows are already there
    return await insert_ignore_count(
        session,
        Delivery.__table__,  # type: ignore[arg-type]
        rows,
        ["event_id", "recipient_id", "channel"],
    )


def _reference(event: Event) -> str:
    for name in ("case_no", "booking_code", "application_id", "visit_id", "entry_id"):
        value = getattr(event, name, None)
        if value:
            return str(value)
    return ""
