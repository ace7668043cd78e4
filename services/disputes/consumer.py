"""Adapter from broker messages to the disputes domain logic (idempotent via the inbox)."""

from __future__ import annotations

from shared.messaging.broker import Delivery
from shared.messaging.events import Event
from shared.runtime import ServiceRuntime

PATTERNS: list[str] = []


async def handle(runtime: ServiceRuntime, event: Event, delivery: Delivery) -> None:
    raise NotImplementedError(event.routing_key)
