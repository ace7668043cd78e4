"""The notifications consumer's batches: one transaction, one read of the people and one INSERT
per run of events, with the same deliveries as one by one: a recipient learned in the middle
of a batch is known to the events after it, and a message twice in a batch or a redelivered
batch adds nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from services.notifications import consumer
from services.notifications.delivery import AppriseSender, DeliveryWorker
from services.notifications.models import Delivery, inbox
from services.notifications.runtime import NotificationsRuntime
from shared import migrate
from shared.config import NotificationsSettings
from shared.db import make_engine, make_session_factory
from shared.messaging.broker import Delivery as Message
from shared.messaging.contracts.disputes import DisputeClosed
from shared.messaging.events import Event
from tests.notifications.people import OFFICER, RESIDENT, RESIDENT_EN


def delivered(event: Event) -> tuple[Event, Message]:
    message = Message(
        message_id=event.event_id, routing_key=event.routing_key, redelivered=False, retries=0
    )
    return event, message


def closed(case: str, helpers: list[str]) -> DisputeClosed:
    return DisputeClosed(
        case_id=case,
        case_no=f"YZ-{case}",
        colour="green",
        stage="closed",
        village_code="V1",
        assignee_id=OFFICER.user_id,  # no station on the event: the officer's is used
        settlement="调解成功",
        helper_ids=helpers,
    )


async def test_a_batch_delivers_as_one_by_one_would_and_exactly_once(db_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, "notifications", db_url)
    settings = NotificationsSettings(database_url=db_url, quiet_start_hour=0, quiet_end_hour=0)
    rt = NotificationsRuntime("notifications", settings)
    engine = make_engine(db_url)
    rt.factory = make_session_factory(engine)  # the database only: no broker, no worker loop
    rt.worker = DeliveryWorker(rt.factory, AppriseSender(settings), rt.renderer, settings)
    before, after = closed("c1", ["res-1", "res-2"]), closed("c2", ["res-2"])
    batch = [
        delivered(RESIDENT),
        delivered(OFFICER),
        delivered(before),  # res-2 is not known yet: the event's language
        delivered(RESIDENT_EN),
        delivered(after),  # now res-2 reads English
        delivered(after),  # the same message twice in the batch
    ]
    try:
        await consumer.handle_batch(rt, batch)

        async def state() -> tuple[list[tuple[str, str, str, str, str | None]], int]:
            async with rt.factory() as s:
                rows = await s.execute(
                    select(
                        Delivery.reference,
                        Delivery.recipient_id,
                        Delivery.channel,
                        Delivery.language,
                        Delivery.station_code,
                    ).order_by(Delivery.reference, Delivery.recipient_id, Delivery.channel)
                )
                claimed = await s.scalar(select(func.count()).select_from(inbox))
                return [tuple(r) for r in rows], int(claimed or 0)  # type: ignore[misc]

        rows, claimed = await state()
        assert rows == [
            ("YZ-c1", "off-1", "inbox", "zh-CN", "S1"),
            ("YZ-c1", "res-1", "inbox", "zh-CN", "S1"),
            ("YZ-c1", "res-2", "inbox", "zh-CN", "S1"),
            ("YZ-c2", "off-1", "inbox", "zh-CN", "S1"),
            ("YZ-c2", "res-2", "inbox", "en", "S1"),
        ]
        assert claimed == 5
        await consumer.handle_batch(rt, batch)  # the whole batch redelivered
        assert await state() == (rows, claimed)
    finally:
        await engine.dispose()
