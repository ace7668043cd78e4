"""HTTP adapter of the notifications service: app factory and routes."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, FastAPI

from services.notifications import consumer
from services.notifications.models import outbox
from shared.config import NotificationsSettings
from shared.runtime import ConsumerSpec, ServiceRuntime, create_service_app
from shared.web import internal_guard

SERVICE = "notifications"


def create_app(
    settings: NotificationsSettings, *, runtime: ServiceRuntime | None = None
) -> FastAPI:
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    if rt.consumer_spec is None and consumer.PATTERNS:
        rt.consumer_spec = ConsumerSpec(consumer.PATTERNS, partial(consumer.handle, rt))
    app = create_service_app(SERVICE, settings, title="Fengqiao notifications service", runtime=rt)
    internal = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(settings.internal_token))]
    )
    app.include_router(internal)
    return app
