"""What the disputes service consumes: the portal's `user.upserted`, so an officer's account
(created, posted, moved, deactivated) reaches the directory the assignment reads (idempotent
via the inbox; every other event is claimed and left alone)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.disputes import postings
from services.disputes.models import inbox
from shared.db import transaction
from shared.messaging.broker import Delivery
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import claim_message
from shared.messaging.topology import SUBSCRIPTIONS
from shared.runtime import ServiceRuntime

CONSUMER = "disputes"
PATTERNS: list[str] = list(SUBSCRIPTIONS[CONSUMER])


async def handle(runtime: ServiceRuntime, event: Event, delivery: Delivery) -> None:
    changed = False
    async with transaction(runtime.factory) as session:
        if not await claim_message(session, inbox, CONSUMER, delivery.message_id):
            return
        if isinstance(event, UserUpserted):
            changed = await postings.record_account(session, event, now=datetime.now(UTC))
    if changed:
        runtime.wake_relay()
