"""Masking of personal data (phone numbers, ID numbers) for pages, messages and logs."""

from __future__ import annotations

import re

PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(id_number: str | None) -> str:
    if not id_number:
        return ""
    s = id_number.strip()
    if len(s) < 8:
        return "*" * len(s)
    return f"{s[:3]}{'*' * (len(s) - 7)}{s[-4:]}"


def mask_text(text: str) -> str:
    """Mask every phone number and ID number found in free text."""
    text = ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
