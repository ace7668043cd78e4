"""HTTP adapter of the portal: the app factory. Routes live in areas (services/portal/areas/)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from services.portal import apidoc
from services.portal.errors import install_error_handlers
from services.portal.models import outbox
from services.portal.web import (
    STATIC,
    ServiceClients,
    discover_areas,
    include_areas,
    load_request_context,
    make_portal,
)
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import PortalSettings
from shared.http import client_limits
from shared.runtime import ServiceRuntime, create_service_app

SERVICE = "portal"
log = logging.getLogger("fengqiao.portal")


def make_clients(settings: PortalSettings) -> ServiceClients:
    def client(base_url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url,
            headers={INTERNAL_TOKEN_HEADER: settings.internal_token},
            timeout=httpx.Timeout(10.0, connect=3.0),
            limits=client_limits(),
        )

    return ServiceClients(
        disputes=client(settings.disputes_url),
        appointments=client(settings.appointments_url),
        points=client(settings.points_url),
        notifications=client(settings.notifications_url),
    )


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allow_every_method(app: FastAPI) -> None:
    """A 405 lists in `Allow` every method of the path: Starlette names only the methods of the
    first route that matched the path, and GET and PUT of one path are two routes here."""
    handler = app.exception_handlers[StarletteHTTPException]

    def allowed(scope: Scope) -> list[str]:
        return [
            m
            for m in _METHODS
            if any(r.matches({**scope, "method": m})[0] == Match.FULL for r in app.router.routes)
        ]

    async def on_http(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            exc = StarletteHTTPException(
                405, exc.detail, headers={"Allow": ", ".join(allowed(request.scope))}
            )
        response = handler(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(StarletteHTTPException, on_http)


def create_app(
    settings: PortalSettings,
    *,
    clients: ServiceClients | None = None,
    runtime: ServiceRuntime | None = None,
) -> FastAPI:
    """The portal app. `clients` given (tests) are used as they are and not closed here."""
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    app = create_service_app(SERVICE, settings, title="Fengqiao portal", runtime=rt)
    portal = make_portal(settings, discover_areas())
    portal.clients = clients
    app.state.portal = portal
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app):
            owned = portal.clients is None
            if owned:
                portal.clients = make_clients(settings)
            try:
                yield
            finally:
                if owned and portal.clients is not None:
                    await portal.clients.aclose()
                    portal.clients = None

    app.router.lifespan_context = lifespan
    app.middleware("http")(load_request_context)
    install_error_handlers(app)
    _allow_every_method(app)
    apidoc.install(app, settings.session_max_age_seconds)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    include_areas(app, portal.areas)
    return app
