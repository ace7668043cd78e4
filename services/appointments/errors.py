"""Domain errors; the HTTP adapter maps them to 404 / 409 / 422 with field and reason."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class NotFound(DomainError):
    status = 404


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
