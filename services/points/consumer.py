"""Adapter from broker messages to the points domain logic (idempotent via the inbox)."""

from __future__ import annotations

from services.points import service
from services.points.models import inbox
from services.points.rules import Rules
from shared.db import transaction
from shared.messaging.broker import Delivery
from shared.messaging.contracts.disputes import DisputeClosed, DisputeFollowUpRecorded
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import claim_message
from shared.messaging.topology import SUBSCRIPTIONS
from shared.runtime import ServiceRuntime

CONSUMER = "points"
PATTERNS: list[str] = list(SUBSCRIPTIONS["points"])


async def handle(runtime: ServiceRuntime, rules: Rules, event: Event, delivery: Delivery) -> None:
    async with transaction(runtime.factory) as session:
        if not await claim_message(session, inbox, CONSUMER, delivery.message_id):
            return
        if isinstance(event, DisputeClosed):
            await service.on_dispute_closed(session, event, rules)
        elif isinstance(event, DisputeFollowUpRecorded):
            await service.on_follow_up(session, event, rules)
        elif isinstance(event, UserUpserted):
            await service.upsert_user(session, event)
    runtime.wake_relay()
