"""The usual booking as one PostgreSQL statement: seat, booking, audit, reminder and event.

One statement in the caller's unit of work (the route opens and commits it), after the desk
is taken shared (`bookings.book`: a desk change in flight is committed before it runs; the
lock and the statement go in one round trip, `shared.db.pipelined`, the statement's snapshot
still taken after the lock is held): the
conditional UPDATE takes the seat only while `booked < capacity` and only if the office
offers the service in that way, and the data-modifying CTEs after it insert the booking, its
audit row, its reminder and its outbox event from the row it claimed. Nothing claimed (the
slot is full, not materialised yet, or the request is wrong in a way worth explaining) means
nothing written: `book_in_one_statement` answers None and the caller takes the step-by-step
path, which gives the reason; except a full slot of a known service and office, which the
statement tells apart (read in its snapshot, the one the UPDATE judged `booked < capacity` by:
a seat freed after it is not seen by either) and answers as the step-by-step path would, 409
"the slot is full" on slot_id, in the same round trip (the hot slot of a busy morning is
mostly that answer). The active-booking unique index fails the whole statement.
Everything the statement cannot know (the code, the status, the reminder's time, the event)
is computed first from the slot id, and the UPDATE checks the slot row agrees with it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.calendar import utc
from services.appointments.catalogue import DESK_LOCK, check_slot_time, hold_desk, parse_slot_id
from services.appointments.context import Desk
from services.appointments.errors import Conflict, Invalid
from services.appointments.models import Booking
from shared.db import pipelined
from shared.messaging import contracts as c

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # read aloud at a window: no 0/O, 1/I


def new_code() -> str:
    # one read of the system's randomness, not one per character; 32 letters: 5 bits a byte
    return "".join(CODE_ALPHABET[b & 31] for b in secrets.token_bytes(10))


HOLD_DESK_SHARED = "SELECT pg_advisory_xact_lock_shared(%(key)s)"  # catalogue.hold_desk
BOOK = """
WITH claimed AS (
    UPDATE slot SET booked = booked + 1
    WHERE id = %(slot_id)s AND booked < capacity
      AND office_code = %(office_code)s AND way = %(way)s
      AND starts_at = CAST(%(starts_at)s AS timestamptz)
      AND EXISTS (
          SELECT 1 FROM service v JOIN office o ON o.code = %(office_code)s
          WHERE v.code = %(service_code)s
            AND CAST(o.services AS jsonb) ? CAST(%(service_code)s AS text)
            AND CAST(v.ways AS jsonb) ? CAST(%(way)s AS text))
    RETURNING id, extended, ends_at
), made AS (
    INSERT INTO booking (code, resident_id, service_code, office_code, slot_id, way, starts_at,
                         ends_at, status, active, held_until, documents, missing, created_at)
    SELECT %(code)s, %(resident_id)s, %(service_code)s, %(office_code)s, claimed.id,
           CASE WHEN claimed.extended AND %(way)s = 'appointment' THEN 'extended'
                ELSE CAST(%(way)s AS varchar) END,
           CAST(%(starts_at)s AS timestamptz), claimed.ends_at, %(status)s, true,
           CAST(%(held_until)s AS timestamptz), CAST(%(documents)s AS json), CAST('[]' AS json),
           CAST(%(now)s AS timestamptz)
    FROM claimed
    RETURNING id, way, ends_at
), audited AS (
    INSERT INTO audit (entity, entity_id, action, actor_id, detail)
    SELECT 'booking', %(code)s, %(status)s, %(resident_id)s, CAST(%(audit_detail)s AS json)
    FROM made
), reminded AS (
    INSERT INTO reminder (booking_id, due_at, status)
    SELECT made.id, CAST(%(due_at)s AS timestamptz), 'pending' FROM made
    WHERE CAST(%(due_at)s AS timestamptz) IS NOT NULL
), queued AS (
    INSERT INTO outbox (message_id, routing_key, version, body, attempts)
    SELECT %(message_id)s, %(routing_key)s, %(version)s,
           CASE WHEN made.way = 'extended' THEN CAST(%(body_extended)s AS json)
                ELSE CAST(%(body)s AS json) END,
           0
    FROM made WHERE CAST(%(queue_event)s AS boolean)
)
SELECT 'booked' AS outcome, id, way, ends_at FROM made
UNION ALL
SELECT 'full', NULL, NULL, NULL FROM slot
WHERE id = %(slot_id)s AND booked >= capacity
  AND office_code = %(office_code)s AND way = %(way)s
  AND starts_at = CAST(%(starts_at)s AS timestamptz)
  AND EXISTS (SELECT 1 FROM service WHERE code = %(service_code)s)
  AND EXISTS (SELECT 1 FROM office WHERE code = %(office_code)s)
  AND NOT EXISTS (SELECT 1 FROM claimed)
"""


async def book_in_one_statement(
    s: AsyncSession,
    desk: Desk,
    *,
    resident_id: str,
    service_code: str,
    slot_id: str,
    documents: list[str],
    hold: bool,
    reminder: Callable[[datetime], datetime | None],
    now: datetime,
) -> Booking | None:
    """The booking made in one statement, or None when the step-by-step path must decide;
    Conflict when the slot is full. `reminder(starts_at)` is when its reminder is due (None: no
    reminder)."""
    try:
        check_slot_time(desk, slot_id, now)
        office_code, starts_at, way = parse_slot_id(slot_id)
    except Invalid:
        await hold_desk(s, shared=True)
        return None  # the step-by-step path names the first thing wrong, in its order
    held_until = now + timedelta(seconds=desk.settings.hold_seconds) if hold else None
    status = "pending_check" if way == "one_visit" else "held" if hold else "booked"
    code = new_code()
    event = c.appointments.AppointmentBooked(
        booking_code=code,
        resident_id=resident_id,
        service_code=service_code,
        office_code=office_code,
        way=way,
        starts_at=utc(starts_at).isoformat(),
    )
    body = event.model_dump(mode="json")
    params = {
        "slot_id": slot_id,
        "office_code": office_code,
        "way": way,
        "starts_at": starts_at,
        "service_code": service_code,
        "code": code,
        "resident_id": resident_id,
        "status": status,
        "held_until": held_until,
        "documents": json.dumps(documents),
        "now": now,
        "audit_detail": json.dumps({"slot_id": slot_id}),
        "due_at": reminder(starts_at) if status != "held" else None,
        "message_id": event.event_id,
        "routing_key": event.routing_key,
        "version": event.version,
        "body": json.dumps(body),
        "body_extended": json.dumps({**body, "way": "extended"}),  # an appointment late on
        "queue_event": status != "held",
    }
    # the desk taken and the booking made in one round trip, in the caller's unit of work
    rows = await pipelined(s, [(HOLD_DESK_SHARED, {"key": DESK_LOCK}), (BOOK, params)])
    if not rows:
        return None
    outcome, booking_id, booked_way, ends_at = rows[0]
    if outcome == "full":
        raise Conflict("the slot is full", "slot_id")
    return Booking(
        id=booking_id,
        code=code,
        resident_id=resident_id,
        service_code=service_code,
        office_code=office_code,
        slot_id=slot_id,
        way=booked_way,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        active=True,
        held_until=held_until,
        documents=documents,
        missing=[],
        window_code=None,
        created_at=now,
        checked_in_at=None,
    )
