"""What the appointments service consumes: the directory's listings of villages, police rooms
and officers' postings (idempotent via the inbox; each record keeps its newest listing)."""

from __future__ import annotations

from services.appointments import directory
from services.appointments.models import inbox
from shared.db import transaction
from shared.messaging.broker import Delivery
from shared.messaging.contracts.directory import OfficerPosted, PoliceRoomListed, VillageListed
from shared.messaging.events import Event
from shared.messaging.outbox import claim_message
from shared.messaging.topology import SUBSCRIPTIONS
from shared.runtime import ServiceRuntime

CONSUMER = "appointments"
PATTERNS: list[str] = list(SUBSCRIPTIONS[CONSUMER])


async def handle(runtime: ServiceRuntime, event: Event, delivery: Delivery) -> None:
    async with transaction(runtime.factory) as session:
        if not await claim_message(session, inbox, CONSUMER, delivery.message_id):
            return
        if isinstance(event, VillageListed):
            await directory.record_village(session, event)
        elif isinstance(event, PoliceRoomListed):
            await directory.record_room(session, event)
        elif isinstance(event, OfficerPosted):
            await directory.record_officer(session, event)
