"""Domain logic of the notifications service (no FastAPI, no aio-pika here).

An event becomes deliveries: the routing rules name the audiences, each audience resolves to
recipients (learned from `user.upserted`), each recipient gets one row per channel, keyed by
(event id, recipient, channel) so a redelivered event adds nothing. Inbox rows are delivered
at once; SMS, e-mail and bot rows wait for the delivery worker (see `delivery.py`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import QUEUED, SENT, Delivery, Preference, Recipient
from services.notifications.planning import Planned, plan, staff_ids, station_from
from services.notifications.render import Rendered, Renderer, event_context
from services.notifications.routing import EventRule, RoutingRules
from shared.bulk import among
from shared.config import NotificationsSettings
from shared.localtime import local_zone
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import insert_ignore_count

EXTERNAL_CHANNELS = ("sms", "email", "bot")
DIGEST_CHANNELS = ("sms", "email")


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


def _address(channel: str, recipient_id: str, person: Person | None) -> str | None:
    if channel == "inbox":
        return ""
    if channel == "bot":
        station = recipient_id.removeprefix("station:")
        return station if station != recipient_id else None
    if person is None:
        return None
    return person.phone if channel == "sms" else person.email


@dataclass(frozen=True, slots=True)
class Person:
    """What a delivery needs of a recipient (read as plain rows: no ORM object per person)."""

    role: str
    phone: str | None
    email: str | None
    language: str
    station_code: str | None


@dataclass(frozen=True, slots=True)
class Prefs:
    disabled: dict[str, list[str]]
    quiet_enabled: bool
    quiet_start_hour: int
    quiet_end_hour: int


def _default_prefs(settings: NotificationsSettings) -> Prefs:
    """What a person who saved no preference gets: every channel, quiet hours as configured."""
    return Prefs({}, True, settings.quiet_start_hour, settings.quiet_end_hour)


def default_preference(user_id: str, settings: NotificationsSettings) -> Preference:
    """The same defaults as a preference row (unsaved), for the preferences page."""
    return Preference(user_id=user_id, **asdict(_default_prefs(settings)))


async def _people(
    session: AsyncSession, ids: list[str]
) -> tuple[dict[str, Person], dict[str, Prefs]]:
    """The recipients and preferences of `ids` in two queries, whoever of them is known."""
    if not ids:
        return {}, {}
    # the tables' own columns: Core statements, no ORM compilation or loading on the way
    r, p = cast(Table, Recipient.__table__).c, cast(Table, Preference.__table__).c
    connection = await session.connection()
    people = await connection.execute(
        select(r.user_id, r.role, r.phone, r.email, r.language, r.station_code).where(
            among(session, r.user_id, ids)
        )
    )
    pref_columns = (p.disabled, p.quiet_enabled, p.quiet_start_hour, p.quiet_end_hour)
    prefs = await connection.execute(
        select(p.user_id, *pref_columns).where(among(session, p.user_id, ids))
    )
    return (
        {row[0]: Person(*row[1:]) for row in people},
        {row[0]: Prefs(row[1] or {}, *row[2:]) for row in prefs},
    )


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
    recorded = await record_events(
        session, rules=rules, renderer=renderer, settings=settings, events=[event], now=now
    )
    return recorded.rows


@dataclass(frozen=True, slots=True)
class Recorded:
    rows: int  # new deliveries
    to_send: bool  # some of them are for the delivery worker (not only inbox rows)


async def record_events(
    session: AsyncSession,
    *,
    rules: RoutingRules,
    renderer: Renderer,
    settings: NotificationsSettings,
    events: Sequence[Event],
    now: datetime,
) -> Recorded:
    """Turn events into deliveries with one read of the people they reach and one INSERT of
    all their rows (a consumer's batch)."""
    work: list[tuple[Event, EventRule, list[Planned]]] = []
    for event in events:
        rule = rules.rule_for(event.routing_key)
        if rule is not None and renderer.has_template(event.routing_key):
            work.append((event, rule, await plan(session, rule, event)))
    ids = [item.recipient_id for _, _, planned in work for item in planned]
    ids += [person for event, _, _ in work for person in staff_ids(event)]
    people, prefs = await _people(session, list(dict.fromkeys(ids)))
    rows: list[dict[str, object]] = []
    for event, rule, planned in work:
        rows += _rows(rules, renderer, settings, event, rule, planned, people, prefs, now)
    # a redelivered event's rows are already there and are left alone
    new = await insert_ignore_count(
        session,
        Delivery.__table__,  # type: ignore[arg-type]
        rows,
        ["event_id", "recipient_id", "channel"],
    )
    return Recorded(new, new > 0 and any(r["channel"] != "inbox" for r in rows))


def _rows(
    rules: RoutingRules,
    renderer: Renderer,
    settings: NotificationsSettings,
    event: Event,
    rule: EventRule,
    planned: list[Planned],
    people: dict[str, Person],
    prefs: dict[str, Prefs],
    now: datetime,
) -> list[dict[str, object]]:
    urgent = rule.is_urgent(event)
    tz = local_zone()
    rows: list[dict[str, object]] = []
    station = None
    reference, occurred = _reference(event), event.occurred_at.astimezone(UTC)
    default = _default_prefs(settings)
    # the same audience, language and channel read the same text (two helpers of one case)
    texts: dict[tuple[str, str, str], Rendered] = {}
    contexts: dict[str, dict[str, Any]] = {}
    for item in planned:
        person = people.get(item.recipient_id)
        pref = prefs.get(item.recipient_id) or default
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
        text = texts.get((item.audience, language, item.channel))
        if text is None:
            context = contexts.get(item.audience)
            if context is None:
                context = contexts[item.audience] = event_context(event, item.audience)
            text = renderer.render(event.routing_key, language, item.channel, context)
            texts[(item.audience, language, item.channel)] = text
        if not rows:
            station = station_from(event, people)
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
                "reference": reference,
                "station_code": station,
                "status": SENT if item.channel == "inbox" else QUEUED,
                "attempts": 0,
                "last_error": "",
                "digested": False,
                "deferred": deferred,
                "occurred_at": occurred,
                "created_at": now,
                "next_attempt_at": due,
                "sent_at": now if item.channel == "inbox" else None,
            }
        )
    return rows


def _reference(event: Event) -> str:
    for name in ("case_no", "booking_code", "application_id", "visit_id", "entry_id"):
        value = getattr(event, name, None)
        if value:
            return str(value)
    return ""
