"""Domain errors; the HTTP adapter maps them to 404 / 409 / 422 with field and reason.

A reason is English (the API's machine-readable text), written as a literal or f-string at the
raise: its source (`f"the slot is in the past"`, `f"no booking {code}"`) is the template the
portal translates (services/portal/translations/zh_CN/LC_MESSAGES/reasons.po). Rewording a reason
or renaming a placeholder needs the catalogue entry too; tests/portal/test_reasons.py says which.
"""

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
