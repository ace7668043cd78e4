"""HTTP adapter of the points service: app factory, error mapping, periodic maintenance."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from services.points import consumer, routes, stock_admin
from services.points.ledger import Forbidden, NotFound, PointsError
from services.points.models import outbox
from services.points.rules import Rules, load_rules
from shared.config import PointsSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.web import internal_guard

SERVICE = "points"
log = logging.getLogger("fengqiao.points")


def error_status(exc: PointsError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    return 409


async def _points_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PointsError)
    return JSONResponse({"detail": exc.reason, "field": exc.field}, status_code=error_status(exc))


async def _maintenance_loop(rt: ServiceRuntime, rules: Rules, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            done = await routes.maintain(rt, rules)
            if done.expired_entries or done.voided_holds:
                log.info("maintenance: %s", done.model_dump())
        except Exception:
            log.exception("points maintenance failed; next run in %.0fs", interval)


def create_app(
    settings: PointsSettings, *, runtime: ServiceRuntime | None = None, rules: Rules | None = None
) -> FastAPI:
    rules = rules or load_rules(settings.rules_file)
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    if rt.consumer_spec is None:
        rt.consumer_spec = ConsumerSpec(consumer.PATTERNS, partial(consumer.handle, rt, rules))
    app = create_service_app(SERVICE, settings, title="Fengqiao points service", runtime=rt)
    app.state.rules = rules
    app.add_exception_handler(PointsError, _points_error)
    internal = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(settings.internal_token))]
    )
    internal.include_router(routes.router)
    internal.include_router(stock_admin.router)
    app.include_router(internal)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            task = asyncio.create_task(
                _maintenance_loop(rt, rules, settings.maintenance_interval_seconds)
            )
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.router.lifespan_context = lifespan
    return app
