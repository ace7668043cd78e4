"""Adapter from broker messages to the notifications domain logic (idempotent via the inbox).

`handle` applies one message; `handle_batch` a batch of them in one transaction (inbox claims
in one statement, recipients and preferences read once per batch through the session),
acked by the consumer only after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import inbox
from services.notifications.runtime import SERVICE, NotificationsRuntime
from services.notifications.service import record_event, upsert_recipient
from shared.db import transaction
from shared.messaging.broker import Delivery
from shared.messaging.contracts.accounts import AccountPasswordIssued
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import claim_message, claim_messages
from shared.messaging.topology import SUBSCRIPTIONS

PATTERNS: list[str] = list(SUBSCRIPTIONS["notifications"])


async def _apply(runtime: NotificationsRuntime, session: AsyncSession, event: Event) -> int:
    """The deliveries `event` made (0 for a recipient's details)."""
    if isinstance(event, UserUpserted):
        await upsert_recipient(session, event)
        return 0
    if isinstance(event, AccountPasswordIssued):
        await upsert_recipient(session, event.contact())
    return await record_event(
        session,
        rules=runtime.rules,
        renderer=runtime.renderer,
        settings=runtime.config,
        event=event,
        now=datetime.now(UTC),
    )


async def handle(runtime: NotificationsRuntime, event: Event, delivery: Delivery) -> None:
    async with transaction(runtime.factory) as session:
        if not await claim_message(session, inbox, SERVICE, delivery.message_id):
            return
        created = await _apply(runtime, session, event)
    if created:
        runtime.worker.wake()


async def handle_batch(
    runtime: NotificationsRuntime, items: Sequence[tuple[Event, Delivery]]
) -> None:
    created = 0
    async with transaction(runtime.factory) as session:
        fresh = await claim_messages(session, inbox, SERVICE, [d.message_id for _, d in items])
        for event, delivery in items:
            if delivery.message_id in fresh:
                fresh.discard(delivery.message_id)  # a duplicate in the batch applies once
                created += await _apply(runtime, session, event)
    if created:
        runtime.worker.wake()
