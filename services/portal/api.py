"""HTTP adapter of the portal service: app factory and routes."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, FastAPI

from services.portal import consumer
from services.portal.models import outbox
from shared.config import PortalSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.web import internal_guard

SERVICE = "portal"


def create_app(settings: PortalSettings, *, runtime: ServiceRuntime | None = None) -> FastAPI:
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    if rt.consumer_spec is None and consumer.PATTERNS:
        rt.consumer_spec = ConsumerSpec(consumer.PATTERNS, partial(consumer.handle, rt))
    app = create_service_app(SERVICE, settings, title="Fengqiao portal service", runtime=rt)
    internal = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(settings.internal_token))]
    )
    app.include_router(internal)
    return app
