"""The notifications service's app: the shared skeleton, its routes, its consumer."""

from __future__ import annotations

from functools import partial

from fastapi import Depends, FastAPI

from services.notifications import consumer
from services.notifications.routes import router
from services.notifications.runtime import SERVICE, NotificationsRuntime
from shared.config import NotificationsSettings
from shared.runtime import ConsumerSpec, create_service_app
from shared.web import internal_guard


def create_app(
    settings: NotificationsSettings, *, runtime: NotificationsRuntime | None = None
) -> FastAPI:
    rt = runtime or NotificationsRuntime(SERVICE, settings)
    if rt.consumer_spec is None:
        rt.consumer_spec = ConsumerSpec(
            consumer.PATTERNS,
            partial(consumer.handle, rt),
            batch_handler=partial(consumer.handle_batch, rt),
        )
    app = create_service_app(SERVICE, settings, title="Fengqiao notifications service", runtime=rt)
    app.include_router(router, dependencies=[Depends(internal_guard(settings.internal_token))])
    return app
