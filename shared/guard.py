"""What every HTTP service puts in front of its routes: security headers on every response,
a request body limit (413), JSON that is not nested absurdly deep (400), and integers that fit
the database's columns (422), all before FastAPI parses anything.

A pure ASGI middleware: it buffers the body (at most MAX_BODY_BYTES), checks it, and hands the
same bytes on, so the routes see the request unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
# every integer column is a 32-bit INTEGER: a larger number would overflow in PostgreSQL
MAX_INT = 2**31 - 1

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs page loads Swagger UI from its CDN and starts it with an inline script
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com;"
    " object-src 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# an integer beyond MAX_INT has at least ten digits in a row (JSON has no leading zeros, and
# exponents make floats): a body without such a run needs no parse for the integer check
_TEN_DIGITS = re.compile(rb"\d{10}")


class BodyTooDeep(ValueError):
    pass


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than `limit` (before any parsing)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def oversized_ints(value: Any, path: str = "") -> Iterator[str]:
    """Paths (`items.2.amount`) of integers beyond MAX_INT in magnitude."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from oversized_ints(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from oversized_ints(item, f"{path}.{i}" if path else str(i))


def _json_response(status: int, body: object) -> tuple[int, bytes]:
    return status, json.dumps(body, ensure_ascii=False).encode()


def check_body(content_type: str, body: bytes) -> tuple[int, bytes] | None:
    """The refusal (status, JSON body) for a body that must not reach the routes, else None."""
    if not body or content_type.split(";")[0].strip().lower() != "application/json":
        return None
    if json_depth_exceeds(body):
        reason = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        return _json_response(
            400, {"detail": [{"field": "body", "reason": reason, "type": "json_too_deep"}]}
        )
    if _TEN_DIGITS.search(body) is None:
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None  # FastAPI answers malformed JSON itself (422, with the position)
    errors = [
        {
            "field": field,
            "reason": f"must be between {-MAX_INT} and {MAX_INT}",
            "type": "int_out_of_range",
        }
        for field in oversized_ints(parsed)
    ]
    if errors:
        return _json_response(422, {"detail": errors})
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (*HEADERS.items(), ("content-security-policy", csp)):
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        request_headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = request_headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._refuse(send_with_headers, *self._too_large())
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._refuse(send_with_headers, *self._too_large())
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = request_headers.get(b"content-type", b"").decode("latin-1")
        refusal = check_body(content_type, body)
        if refusal is not None:
            await self._refuse(send_with_headers, *refusal)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    def _too_large(self) -> tuple[int, bytes]:
        mib = self.max_body / (1024 * 1024)
        return _json_response(413, {"detail": f"request body larger than {mib:g} MiB"})

    @staticmethod
    async def _refuse(send: Send, status: int, body: bytes) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
