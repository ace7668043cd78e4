"""The points service's app: the shared skeleton, its routes, its consumer, maintenance."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from fastapi import APIRouter, Depends, FastAPI

from services.points import consumer, routes, rules_admin, stock_admin
from services.points.models import outbox
from services.points.rule_versions import RulesInForce
from services.points.rules import Rules, load_rules
from shared.config import PointsSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.web import internal_guard

SERVICE = "points"
log = logging.getLogger("fengqiao.points")


async def maintenance_loop(app: FastAPI) -> None:
    """Background task: expiry and lapsed holds, every maintenance interval."""
    rt: ServiceRuntime = app.state.runtime
    rules: Rules = app.state.rules
    interval = app.state.settings.maintenance_interval_seconds
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
    kept = RulesInForce(rules)
    if rt.consumer_spec is None:
        rt.consumer_spec = ConsumerSpec(
            consumer.PATTERNS,
            partial(consumer.handle, rt, kept),
            batch_handler=partial(consumer.handle_batch, rt, kept),
        )
    app = create_service_app(
        SERVICE,
        settings,
        title="Fengqiao points service",
        runtime=rt,
        background=[maintenance_loop],
    )
    app.state.settings = settings
    app.state.rules = rules
    app.state.rules_in_force = kept
    internal = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(settings.internal_token))]
    )
    internal.include_router(routes.router)
    internal.include_router(stock_admin.router)
    internal.include_router(rules_admin.router)
    app.include_router(internal)
    return app
