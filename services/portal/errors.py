"""The portal's answers to errors: an error page for the browser, JSON with the field and
reason for /api; a missing login redirects a page to /login and answers 401 to the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.backend import Problems
from services.portal.service import FieldError
from services.portal.web import LoginRequired, is_api, render


def _field_of(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _error_page(
    request: Request, status: int, message: str, errors: list[dict[str, str]]
) -> Response:
    return render(
        request,
        "core/error.html",
        {"status": status, "message": message, "errors": errors},
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_login_required(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return JSONResponse(
                {"detail": "authentication required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if is_api(request) or not hasattr(request.state, "session_key"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return _error_page(request, exc.status_code, str(exc.detail), [])

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "field": _field_of(e.get("loc", ())),
                "reason": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        if is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return _error_page(request, 422, "invalid input", errors)

    async def on_field_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FieldError)
        problems = exc.problems if isinstance(exc, Problems) else [exc]
        errors = [{"field": p.field, "reason": p.reason, "type": "value_error"} for p in problems]
        if is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return _error_page(request, 422, "invalid input", errors)

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(FieldError, on_field_error)
