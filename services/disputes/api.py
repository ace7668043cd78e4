"""The disputes service's app: the shared skeleton and its routes (all under /internal/v1)."""

from __future__ import annotations

from functools import partial

from fastapi import Depends, FastAPI
from temporalio.client import Client

from services.disputes import (
    consumer,
    lifecycle_admin,
    rollout,
    routes,
    routes_directory,
    routes_partners,
    routes_supervision,
    rules_admin,
)
from services.disputes.models import outbox
from shared.config import DisputesSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.temporal_link import TemporalLink
from shared.web import internal_guard

SERVICE = "disputes"


def create_app(
    settings: DisputesSettings,
    *,
    runtime: ServiceRuntime | None = None,
    temporal: Client | None = None,
) -> FastAPI:
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    if rt.consumer_spec is None:
        rt.consumer_spec = ConsumerSpec(consumer.PATTERNS, partial(consumer.handle, rt))
    app = create_service_app(SERVICE, settings, title="Fengqiao disputes service", runtime=rt)
    app.state.settings = settings
    TemporalLink(settings.temporal_address, settings.temporal_namespace, temporal).attach(app)
    internal = [Depends(internal_guard(settings.internal_token))]
    app.include_router(routes.router, prefix="/internal/v1", dependencies=internal)
    app.include_router(routes_partners.router, prefix="/internal/v1", dependencies=internal)
    app.include_router(rules_admin.router(settings))
    app.include_router(lifecycle_admin.router(settings))
    app.include_router(routes_directory.router(settings.internal_token))
    app.include_router(rollout.make_router(settings.internal_token, settings.lifecycle_file))
    routes_supervision.install(app, settings)
    return app
