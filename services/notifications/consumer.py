"""Adapter from broker messages to the notifications domain logic (idempotent via the inbox).

`handle` applies one message; `handle_batch` a batch of them in one transaction: the inbox
claims in one statement, then each run of events between changes of recipients' details with
one read of the people it reaches and one INSERT of its deliveries (statements of fixed text
on PostgreSQL: shared/bulk.py); acked by the consumer only after the commit, and the delivery
worker woken only when the batch queued something for it to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import inbox
from services.notifications.runtime import SERVICE, NotificationsRuntime
from services.notifications.service import record_event, record_events, upsert_recipient
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
    to_send = False  # inbox rows are delivered as written: the worker is woken for the rest
    async with transaction(runtime.factory) as session:
        fresh = await claim_messages(session, inbox, SERVICE, [d.message_id for _, d in items])
        run: list[Event] = []  # events whose deliveries are written together
        for event, delivery in items:
            if delivery.message_id not in fresh:
                continue  # seen before (or earlier in this batch)
            fresh.discard(delivery.message_id)
            if isinstance(event, UserUpserted | AccountPasswordIssued):
                # a recipient's details change: the events before it are written first
                to_send |= await _record(runtime, session, run)
                run = []
                await upsert_recipient(
                    session, event if isinstance(event, UserUpserted) else event.contact()
                )
                if isinstance(event, UserUpserted):
                    continue
            run.append(event)
        to_send |= await _record(runtime, session, run)
    if to_send:
        runtime.worker.wake()


async def _record(runtime: NotificationsRuntime, session: AsyncSession, run: list[Event]) -> bool:
    """Whether the run queued deliveries for the worker."""
    if not run:
        return False
    recorded = await record_events(
        session,
        rules=runtime.rules,
        renderer=runtime.renderer,
        settings=runtime.config,
        events=run,
        now=datetime.now(UTC),
    )
    return recorded.to_send
