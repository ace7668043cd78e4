"""Adapter from broker messages to the points domain logic (idempotent via the inbox).

`handle` applies one message; `handle_batch` a batch of them in one transaction: the inbox
claims in one statement, the dispute credits in bulk (services/points/bulk.py), anything else
one by one in order, acked by the consumer only after the commit. Credits are priced by the
earning rules in force when the message is handled, as the process keeps them
(services/points/rule_versions.py `RulesInForce`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.points import bulk, directory, service
from services.points.models import inbox
from services.points.rule_versions import RulesInForce
from services.points.rules import Rules
from shared.db import transaction
from shared.messaging.broker import Delivery
from shared.messaging.contracts.directory import VillageListed
from shared.messaging.contracts.disputes import DisputeClosed, DisputeFollowUpRecorded
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import claim_message, claim_messages
from shared.messaging.topology import SUBSCRIPTIONS
from shared.runtime import ServiceRuntime

CONSUMER = "points"
PATTERNS: list[str] = list(SUBSCRIPTIONS["points"])


async def _apply(session: AsyncSession, event: Event, rules: Rules) -> None:
    if isinstance(event, DisputeClosed | DisputeFollowUpRecorded):
        await service.credit_dispute_event(session, event, rules)
    elif isinstance(event, UserUpserted):
        await service.upsert_user(session, event)
    elif isinstance(event, VillageListed):
        await directory.record_village(session, event)


async def handle(
    runtime: ServiceRuntime, kept: RulesInForce, event: Event, delivery: Delivery
) -> None:
    async with transaction(runtime.factory) as session:
        if not await claim_message(session, inbox, CONSUMER, delivery.message_id):
            return
        await _apply(session, event, await kept.get(session))
    runtime.wake_relay()


async def handle_batch(
    runtime: ServiceRuntime, kept: RulesInForce, items: Sequence[tuple[Event, Delivery]]
) -> None:
    async with transaction(runtime.factory) as session:
        fresh = await claim_messages(session, inbox, CONSUMER, [d.message_id for _, d in items])
        rules = await kept.get(session)
        credits: list[bulk.CreditEvent] = []
        for event, delivery in items:
            if delivery.message_id not in fresh:
                continue  # seen before (or earlier in this batch)
            fresh.discard(delivery.message_id)
            if isinstance(event, DisputeClosed | DisputeFollowUpRecorded):
                credits.append(event)
                continue
            await bulk.apply_events(session, credits, rules)  # keep the batch's order
            credits = []
            await _apply(session, event, rules)
        await bulk.apply_events(session, credits, rules)
    runtime.wake_relay()
