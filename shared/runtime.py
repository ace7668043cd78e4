"""The life of a service process: migrations, database, broker, outbox relay, consumer.

Every service's FastAPI lifespan builds one `ServiceRuntime`. The broker may be down when a
service starts: the HTTP API still comes up (changes commit into the outbox) and messaging
connects in the background as soon as the broker answers.

One way to build a service (`create_service_app`): its routes module's router, its domain
errors answered as problem+json (shared.errors), its periodic work given as `background`
tasks that the lifespan starts after the runtime and cancels before it stops, and a consumer
only where the service consumes (`consumer_spec`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, Request
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import migrate
from shared.config import ServiceSettings
from shared.db import make_engine, make_session_factory
from shared.errors import install_error_handler
from shared.http import SERVER_KEEP_ALIVE_SECONDS
from shared.logs import setup_logging
from shared.messaging.batch import BatchHandler
from shared.messaging.broker import Broker, Consumer, Handler
from shared.messaging.outbox import OutboxRelay
from shared.web import HealthCheck, instrument

log = logging.getLogger("fengqiao.runtime")

# A service's own long-running work (periodic jobs, a delivery worker): started once the
# runtime is up, cancelled at shutdown. It receives the app (its state holds what it needs).
Background = Callable[[FastAPI], Awaitable[None]]


@dataclass
class ConsumerSpec:
    patterns: Sequence[str]
    handler: Handler
    # many deliveries to one transaction (shared/messaging/batch.py); `handler` still applies
    # a message alone when its batch failed or it is a retry
    batch_handler: BatchHandler | None = None


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    outbox: Table | None = None
    consumer_spec: ConsumerSpec | None = None
    run_relay: bool = True
    run_migrations: bool = True
    engine: AsyncEngine = field(init=False)
    factory: async_sessionmaker[AsyncSession] = field(init=False)
    broker: Broker = field(init=False)
    relay: OutboxRelay | None = field(init=False, default=None)
    consumer: Consumer | None = field(init=False, default=None)
    _tasks: list[asyncio.Task[None]] = field(init=False, default_factory=list)

    async def start(self) -> None:
        if self.run_migrations:
            await asyncio.to_thread(migrate.upgrade, self.name, self.settings.database_url)
        self.engine = make_engine(self.settings.database_url, pool_size=self.settings.db_pool_size)
        self.factory = make_session_factory(self.engine)
        self.broker = Broker(self.settings.amqp_url, self.settings.exchange)
        if self.outbox is not None and self.run_relay:
            self.relay = OutboxRelay(
                self.factory,
                self.outbox,
                self.broker,
                interval=self.settings.relay_interval_seconds,
            )
        self._tasks.append(asyncio.create_task(self._messaging(), name=f"{self.name}-messaging"))

    async def _messaging(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.broker.connect()
                break
            except Exception as exc:
                log.warning("%s: broker unreachable (%s); retrying in %.1fs", self.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        log.info("%s: connected to the broker", self.name)
        if self.consumer_spec is not None:
            self.consumer = Consumer(
                self.broker,
                self.name,
                self.consumer_spec.patterns,
                self.consumer_spec.handler,
                prefetch=self.settings.queue_prefetch,
                bus_users=self.settings.bus_users,
                batch_handler=self.consumer_spec.batch_handler,
                batch_size=self.settings.consumer_batch_size,
            )
            await self.consumer.start()
        if self.relay is not None:
            await self.relay.run()

    def wake_relay(self) -> None:
        if self.relay is not None:
            self.relay.wake()

    async def db_ok(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def broker_ok(self) -> bool:
        return self.broker.is_connected

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self.consumer.stop()
        with contextlib.suppress(Exception):
            await self.broker.close()
        await self.engine.dispose()


def create_service_app(
    name: str,
    settings: ServiceSettings,
    *,
    title: str,
    runtime: ServiceRuntime | None = None,
    outbox: Table | None = None,
    consumer_spec: ConsumerSpec | None = None,
    background: Sequence[Background] = (),
) -> FastAPI:
    """The FastAPI app of a backend service: lifespan runs the runtime and the service's
    background tasks; health and metrics; domain errors as problem+json."""
    rt = runtime or ServiceRuntime(name, settings, outbox=outbox, consumer_spec=consumer_spec)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        tasks = [
            asyncio.create_task(run(app), name=f"{name}-{getattr(run, '__name__', 'task')}")
            for run in app.state.background
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await rt.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = rt
    app.state.background = list(background)
    checks: dict[str, HealthCheck] = {"database": rt.db_ok, "broker": rt.broker_ok}
    app.state.health_checks = checks
    app.state.optional_checks = {}
    instrument(app, name, checks, app.state.optional_checks, internal_token=settings.internal_token)
    install_error_handler(app, service=name)
    return app


def serve(app: FastAPI, settings: ServiceSettings, name: str) -> None:
    setup_logging(name, settings.log_level, json_output=settings.log_json)
    # what start-up made (modules, models, schemas: most of the heap) lives as long as the
    # process: frozen, the collector's full passes stop walking it (they cost ~100 ms each in
    # a service process under load, half of it this)
    gc.collect()
    gc.freeze()
    uvicorn.Server(server_config(app, settings.host, settings.port)).run()


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any local peer; the
    # portal believes it only from its configured `trusted_proxies` (services/portal/web.py).
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
        proxy_headers=False,
    )


async def get_runtime(request: Request) -> ServiceRuntime:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.factory() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
