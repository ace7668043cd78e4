"""One vocabulary of domain errors for every service, and the one HTTP answer they map to.

Domain code raises `NotFound`, `Invalid`, `Conflict` or `Forbidden` (or a service's subclass)
with a reason (English, the API's machine-readable text; the portal translates it) and, where
one field is at fault, that field's dotted name. `install_error_handler` turns every one into
an `application/problem+json` answer (RFC 9457) carrying `status`, `title`, `reason` and
`field`, and a `detail` the portal already reads: for a 422, FastAPI's own validation shape
(a list of `{loc, msg, type}`), so one parser handles both; otherwise the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("fengqiao.errors")
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status = 400

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


def problem_body(status: int, reason: str, field: str | None = None) -> dict[str, Any]:
    detail: object = reason
    if status == 422:
        loc = ["body", *field.split(".")] if field else ["body"]
        detail = [{"loc": loc, "msg": reason, "type": "value_error"}]
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "reason": reason,
        "field": field,
        "detail": detail,
    }


def problem(status: int, reason: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        problem_body(status, reason, field), status_code=status, media_type=PROBLEM_JSON
    )


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, exc.reason, exc.field)


def db_unreachable(service: str) -> str:
    """The 503 reason when a service's database does not answer; it names the service, so the
    portal can tell the user which database is down (not only which service)."""
    return f"the {service} database is unreachable; try again shortly"


DB_UNREACHABLE = db_unreachable("service's")


def _database_down(service: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(_: Request, exc: Exception) -> JSONResponse:
        """A database that does not answer (refused, timed out, gone): a clear 503 at once, not
        a 500 or a hung request; the caller may retry."""
        log.warning("database unreachable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        resp = problem(503, db_unreachable(service))
        resp.headers["Retry-After"] = "5"
        return resp

    return handler


def install_error_handler(app: FastAPI, service: str = "service's") -> None:
    app.add_exception_handler(DomainError, _domain_error)
    # OperationalError / InterfaceError: the connection, not the statement, failed
    app.add_exception_handler(OperationalError, _database_down(service))
    app.add_exception_handler(InterfaceError, _database_down(service))
