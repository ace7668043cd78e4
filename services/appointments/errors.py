"""Domain errors (shared.errors: one vocabulary, one problem+json answer with field and reason).

A reason is English (the API's machine-readable text), written as a literal or f-string at the
raise: its source (`f"the slot is in the past"`, `f"no booking {code}"`) is the template the
portal translates (services/portal/translations/zh_CN/LC_MESSAGES/reasons.po). Rewording a reason
or renaming a placeholder needs the catalogue entry too; tests/portal/test_reasons.py says which.
"""

from __future__ import annotations

from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

__all__ = ["Conflict", "DomainError", "Forbidden", "Invalid", "NotFound"]
