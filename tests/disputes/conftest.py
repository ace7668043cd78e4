"""The disputes service as it runs: its app (lifespan, relay) on PostgreSQL, a worker on the
real Temporal dev server, and a raw consumer of dispute.* on the real RabbitMQ."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from services.disputes.api import create_app
from services.disputes.seed import seed_directory
from shared.config import DisputesSettings
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from workflows.disputes.worker import build_worker

TOKEN = "test-internal-token"


@dataclass
class Wire:
    """Every dispute.* message that reached the broker, in arrival order."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    async def wait_for(
        self, pred: Callable[[list[dict[str, Any]]], bool], timeout: float = 20
    ) -> None:
        async def seen() -> bool:
            return pred(self.messages)

        try:
            await eventually(seen, timeout, interval=0.1)
        except AssertionError:
            got = [m["type"] for m in self.messages]
            raise AssertionError(f"not seen; got {got}") from None


@pytest.fixture
async def wire(exchange: str) -> AsyncIterator[Wire]:
    connection = await aio_pika.connect(AMQP_URL)
    w = Wire()
    async with connection:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(ex, routing_key="dispute.#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                w.messages.append(
                    {"type": message.type, "id": message.message_id, **json.loads(message.body)}
                )

        await queue.consume(on_message)
        yield w


@dataclass
class Service:
    app: FastAPI
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    settings: DisputesSettings


@pytest.fixture
async def svc(
    temporal_env: WorkflowEnvironment,
    pg_url: Callable[[], str],
    exchange: str,
    task_queue: str,
    wire: Wire,
) -> AsyncIterator[Service]:
    settings = DisputesSettings(
        database_url=pg_url(),
        exchange=exchange,
        internal_token=TOKEN,
        task_queue=task_queue,
        relay_interval_seconds=0.1,
    )
    app = create_app(settings, temporal=temporal_env.client)
    runtime: ServiceRuntime = app.state.runtime
    async with app.router.lifespan_context(app):
        await seed_directory(runtime.factory)
        worker = build_worker(
            temporal_env.client, runtime.factory, task_queue=task_queue, settings=settings
        )
        transport = httpx.ASGITransport(app=app)
        async with (
            worker,
            httpx.AsyncClient(
                transport=transport,
                base_url="http://disputes",
                headers={"X-Fengqiao-Internal": TOKEN},
            ) as http,
        ):
            yield Service(app, http, runtime, settings)
