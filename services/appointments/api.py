"""HTTP adapter of the appointments service: app factory, error mapping, periodic jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client

from services.appointments import catalogue, consumer, home_visits, jobs
from services.appointments.errors import DomainError
from services.appointments.models import outbox
from services.appointments.routes import router
from services.appointments.routes_withdrawal import router as withdrawal_router
from shared.config import AppointmentsSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.temporal import connect
from shared.web import internal_guard

SERVICE = "appointments"
log = logging.getLogger("fengqiao.appointments")


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if exc.status == 422:
        loc = ["body", exc.field] if exc.field else ["body"]
        body: object = [{"loc": loc, "msg": exc.reason, "type": "value_error"}]
    else:
        body = exc.reason
    return JSONResponse({"detail": body}, status_code=exc.status)


async def _background(app: FastAPI, settings: AppointmentsSettings) -> None:
    """Connects Temporal when it answers, then runs the periodic jobs."""
    rt: ServiceRuntime = app.state.runtime
    d = catalogue.Desk(rt.factory, settings)
    while True:
        if app.state.temporal is None and app.state.connect_temporal:
            with contextlib.suppress(Exception):
                app.state.temporal = await connect(
                    settings.temporal_address, settings.temporal_namespace
                )
        if settings.run_jobs:
            try:
                report = await jobs.run_jobs(d)
                await home_visits.start_pending(d, app.state.temporal)
                if report.total:
                    rt.wake_relay()
            except Exception:
                log.exception("appointments jobs failed; retrying")
        await asyncio.sleep(settings.jobs_interval_seconds)


def create_app(
    settings: AppointmentsSettings,
    *,
    runtime: ServiceRuntime | None = None,
    temporal: Client | None = None,
    connect_temporal: bool = True,
) -> FastAPI:
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    if rt.consumer_spec is None and consumer.PATTERNS:
        rt.consumer_spec = ConsumerSpec(consumer.PATTERNS, partial(consumer.handle, rt))
    app = create_service_app(SERVICE, settings, title="Fengqiao appointments service", runtime=rt)
    app.state.settings = settings
    app.state.temporal = temporal
    app.state.connect_temporal = connect_temporal and temporal is None
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            task = asyncio.create_task(_background(a, settings), name="appointments-jobs")
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    app.router.lifespan_context = lifespan
    app.add_exception_handler(DomainError, _domain_error)
    guard = [Depends(internal_guard(settings.internal_token))]
    app.include_router(router, dependencies=guard)
    app.include_router(withdrawal_router, dependencies=guard)
    return app
