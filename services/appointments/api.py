"""The appointments service's app: the shared skeleton, its routes, its periodic jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import partial

from fastapi import Depends, FastAPI
from temporalio.client import Client

from services.appointments import consumer, runner
from services.appointments.context import Desk
from services.appointments.models import outbox
from services.appointments.routes import router
from services.appointments.routes_admin import router as admin_router
from services.appointments.routes_home_visits import router as home_visits_router
from services.appointments.routes_supervision import router as supervision_router
from services.appointments.routes_withdrawal import router as withdrawal_router
from shared.config import AppointmentsSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.temporal_link import TemporalLink
from shared.web import internal_guard

SERVICE = "appointments"
log = logging.getLogger("fengqiao.appointments")


async def jobs_loop(app: FastAPI) -> None:
    """Background task: the periodic jobs, then door-to-door visits waiting for Temporal."""
    settings: AppointmentsSettings = app.state.settings
    rt: ServiceRuntime = app.state.runtime
    link: TemporalLink = app.state.temporal_link
    d = Desk(settings)
    while True:
        if settings.run_jobs:
            try:
                report = await runner.run_jobs(rt.factory, d)
                await runner.start_pending(rt.factory, d, link.client)
                if report.total:
                    rt.wake_relay()
            except Exception:
                log.exception("appointments jobs failed; retrying")
        await asyncio.sleep(settings.jobs_interval_seconds)


RECONCILE_EVERY = timedelta(minutes=10)


async def reconcile_loop(app: FastAPI) -> None:
    """Background task: home-visit rows compared with their workflows (first run one period
    after start); the next round tries again after a failure."""
    settings: AppointmentsSettings = app.state.settings
    rt: ServiceRuntime = app.state.runtime
    link: TemporalLink = app.state.temporal_link
    while True:
        await asyncio.sleep(RECONCILE_EVERY.total_seconds())
        if not settings.run_jobs or link.client is None:
            continue
        try:
            done = await runner.reconcile_visits(rt.factory, link.client)
            if done.repaired:
                rt.wake_relay()
        except Exception as exc:
            log.warning("appointments: periodic reconciliation failed: %s", exc)


def create_app(
    settings: AppointmentsSettings,
    *,
    runtime: ServiceRuntime | None = None,
    temporal: Client | None = None,
    connect_temporal: bool = True,
) -> FastAPI:
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    if rt.consumer_spec is None:
        rt.consumer_spec = ConsumerSpec(consumer.PATTERNS, partial(consumer.handle, rt))
    app = create_service_app(
        SERVICE,
        settings,
        title="Fengqiao appointments service",
        runtime=rt,
        background=[jobs_loop, reconcile_loop],
    )
    app.state.settings = settings
    link = TemporalLink(
        settings.temporal_address, settings.temporal_namespace, temporal, enabled=connect_temporal
    )
    link.attach(app)
    guard = [Depends(internal_guard(settings.internal_token))]
    app.include_router(router, dependencies=guard)
    app.include_router(home_visits_router, dependencies=guard)
    app.include_router(withdrawal_router, dependencies=guard)
    app.include_router(admin_router, dependencies=guard)
    app.include_router(supervision_router, dependencies=guard)
    return app
