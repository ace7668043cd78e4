"""Notifications test rig: the service (real broker and DB) and the sink (real HTTP and SMTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.notifications.api import create_app
from services.notifications.consumer import PATTERNS
from services.notifications.runtime import NotificationsRuntime
from services.notifications.sink.app import MessageStore, SinkMessage, create_sink_app
from shared.config import NotificationsSettings, SinkSettings
from shared.messaging.broker import Broker, declare_service_queue
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from tests.conftest import AMQP_URL
from tests.helpers import eventually, free_ports, serving

TOKEN = "test-internal-token"


@dataclass
class Sink:
    http_url: str
    smtp_port: int
    store: MessageStore

    def received(self, kind: str, to: str | None = None) -> list[SinkMessage]:
        return self.store.list(kind, to)


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    http_port, smtp_port = free_ports(2)
    settings = SinkSettings(port=http_port, smtp_port=smtp_port)
    app = create_sink_app(settings)
    async with serving(app, settings.port) as url:
        yield Sink(url, settings.smtp_port, app.state.store)


def service_settings(db: str, exchange: str, sink: Sink, **overrides: Any) -> NotificationsSettings:
    values: dict[str, Any] = {
        "database_url": db,
        "amqp_url": AMQP_URL,
        "exchange": exchange,
        "internal_token": TOKEN,
        "sms_url": f"json://127.0.0.1:{sink.http_url.rsplit(':', 1)[1]}/sms?:to={{to}}",
        "bot_url": f"json://127.0.0.1:{sink.http_url.rsplit(':', 1)[1]}/bot?:group={{to}}",
        "smtp_url": (
            f"mailto://127.0.0.1:{sink.smtp_port}?from=noreply@fengqiao.local&to={{to}}"
            "&mode=insecure"
        ),
        "worker_interval_seconds": 0.1,
        "retry_backoff_seconds": [0.2, 0.2],
        "digest_window_minutes": 0,
        # start == end: no quiet hours unless a test sets them
        "quiet_start_hour": 0,
        "quiet_end_hour": 0,
    }
    values.update(overrides)
    return NotificationsSettings(**values)


@dataclass
class Service:
    runtime: NotificationsRuntime
    api: httpx.AsyncClient
    broker: Broker

    async def publish(self, *events: Event) -> None:
        for event in events:
            await self.broker.publish_event(event)

    async def add_users(self, *users: UserUpserted) -> None:
        """Publish users and wait until the service knows them all."""
        from services.notifications.models import Recipient

        await self.publish(*users)

        async def known() -> bool:
            async with self.runtime.factory() as s:
                return all([await s.get(Recipient, u.user_id) is not None for u in users])

        await eventually(known)


ServiceFactory = Callable[..., Awaitable[Service]]


@asynccontextmanager
async def services(exchange: str, sink: Sink) -> AsyncIterator[ServiceFactory]:
    """Start notifications services (each on its own DB) on one exchange; stop them after."""
    async with AsyncExitStack() as stack:

        async def start(db: str, **overrides: Any) -> Service:
            settings = service_settings(db, exchange, sink, **overrides)
            runtime = NotificationsRuntime("notifications", settings)
            app = create_app(settings, runtime=runtime)
            await stack.enter_async_context(app.router.lifespan_context(app))
            broker = Broker(AMQP_URL, exchange)
            await broker.connect()
            stack.push_async_callback(broker.close)
            # bind the service queue now, so nothing published by the test is unroutable
            channel = await broker.connection.channel()
            await declare_service_queue(
                channel, await broker.declare_exchanges(channel), "notifications", PATTERNS
            )
            await channel.close()
            api = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://notifications",
                headers={"X-Fengqiao-Internal": TOKEN},
            )
            stack.push_async_callback(api.aclose)
            return Service(runtime, api, broker)

        yield start


@pytest.fixture
async def start_service(exchange: str, sink: Sink) -> AsyncIterator[ServiceFactory]:
    async with services(exchange, sink) as start:
        yield start
