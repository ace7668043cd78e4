"""What every HTTP service has: /healthz, /metrics (Prometheus, for holders of the internal
token: `X-Fengqiao-Internal` or `Authorization: Bearer`), the internal-token guard, and the
request guard (security headers, body limit, JSON depth, integer bounds: shared/guard.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Header, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import INTERNAL_TOKEN_HEADER, token_ok
from shared.guard import RequestGuard

REQUESTS = Counter(
    "fengqiao_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "fengqiao_http_request_seconds", "HTTP request latency", ["service", "method", "route"]
)

HealthCheck = Callable[[], Awaitable[bool]]


def instrument(
    app: FastAPI,
    service: str,
    checks: dict[str, HealthCheck],
    optional: dict[str, HealthCheck] | None = None,
    *,
    internal_token: str,
) -> None:
    """/healthz answers 200 while every check in `checks` holds; `optional` ones (a link the
    service can work without for a while, e.g. Temporal) are reported beside them."""
    optional = {} if optional is None else optional
    app.add_middleware(RequestGuard)

    app.add_middleware(Metrics, service=service)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        results: dict[str, bool] = {}
        for name, check in (checks | optional).items():
            try:
                results[name] = await check()
            except Exception:
                results[name] = False
        ok = all(results[name] for name in checks)
        body = json.dumps({"service": service, "ok": ok, "checks": results})
        return Response(body, status_code=200 if ok else 503, media_type="application/json")

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request, internal_token):
            return Response(
                '{"detail": "internal token missing or wrong"}',
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class Metrics:
    """Request counts and latency per route, as plain ASGI: no extra task or stream per
    request (Starlette's `@app.middleware("http")` costs a task group and a memory stream)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            REQUESTS.labels(self.service, method, path, str(status)).inc()
            LATENCY.labels(self.service, method, path).observe(time.perf_counter() - start)


def metrics_allowed(request: Request, internal_token: str) -> bool:
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    presented = request.headers.get(INTERNAL_TOKEN_HEADER)
    if scheme.lower() == "bearer" and bearer:
        presented = bearer.strip()
    return token_ok(presented, internal_token)


def internal_guard(expected_token: str) -> Callable[[str | None], Awaitable[None]]:
    """A dependency for the services' internal APIs: only the portal (holding the token)."""

    async def guard(
        x_fengqiao_internal: str | None = Header(default=None, alias=INTERNAL_TOKEN_HEADER),
    ) -> None:
        if not token_ok(x_fengqiao_internal, expected_token):
            raise HTTPException(status_code=401, detail="internal token missing or wrong")

    return guard
