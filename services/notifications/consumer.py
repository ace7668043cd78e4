"""Adapter from broker messages to the notifications domain logic (idempotent via the inbox)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifications.models import inbox
from services.notifications.runtime import SERVICE, NotificationsRuntime
from services.notifications.service import record_event, upsert_recipient
from shared.db import transaction
from shared.messaging.broker import Delivery
from shared.messaging.contracts.accounts import AccountPasswordIssued
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.messaging.outbox import claim_message
from shared.messaging.topology import SUBSCRIPTIONS

PATTERNS: list[str] = list(SUBSCRIPTIONS["notifications"])


async def handle(runtime: NotificationsRuntime, event: Event, delivery: Delivery) -> None:
    async with transaction(runtime.factory) as session:
        if not await claim_message(session, inbox, SERVICE, delivery.message_id):
            return
        if isinstance(event, UserUpserted):
            await upsert_recipient(session, event)
            return
        if isinstance(event, AccountPasswordIssued):
            await upsert_recipient(session, event.contact())
        created = await record_event(
            session,
            rules=runtime.rules,
            renderer=runtime.renderer,
            settings=runtime.config,
            event=event,
            now=datetime.now(UTC),
        )
    if created:
        runtime.worker.wake()
