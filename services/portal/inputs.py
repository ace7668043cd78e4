"""Checks on what people type: phone numbers as ASCII digits, names without invisible characters."""

from __future__ import annotations

import re
import unicodedata

from services.portal.service import FieldError

PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_DECOR = str.maketrans("", "", " -")
# Cc: control (NUL, newline...), Cf: format (zero-width space/joiner, bidi overrides and
# isolates, BOM), Co/Cs/Cn: private, surrogate, unassigned; Zl/Zp: line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """A mainland mobile number as 11 ASCII digits; spaces and dashes between groups are
    dropped, anything else (full-width or other scripts' digits among them) is refused, so
    one number has one spelling and one account."""
    phone = raw.strip().translate(_PHONE_DECOR)
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone.isascii() or not PHONE_RE.fullmatch(phone):
        raise FieldError(field, "not a mobile phone number (11 digits starting with 1)")
    return phone


def normalised_or_raw(raw: str) -> str:
    """A phone in its one spelling when `raw` is one, else `raw` trimmed (a username)."""
    try:
        return normalise_phone(raw)
    except FieldError:
        return raw.strip()


def optional_phone(raw: str, *, field: str = "phone") -> str:
    """Like normalise_phone, but an empty value stays empty."""
    return normalise_phone(raw, field=field) if raw.strip() else ""


def name_problem(value: str) -> str | None:
    for ch in value:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return "contains control, invisible or text-direction characters"
    return None


def clean_name(raw: str, *, field: str = "display_name", max_length: int = 128) -> str:
    """A person's or place's name: trimmed, NFC, no control/zero-width/bidi characters."""
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise FieldError(field, "required")
    problem = name_problem(name)
    if problem:
        raise FieldError(field, problem)
    if len(name) > max_length:
        raise FieldError(field, f"at most {max_length} characters")
    return name
