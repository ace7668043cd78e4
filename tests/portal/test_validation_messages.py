"""pydantic's own messages (a field that fails its type or its bounds) reach a zh-CN page in
Chinese through the reasons catalogue, whatever the numbers in them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from services.portal.reasons import translate_reason
from services.portal.web import TRANSLATIONS

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


class Form(BaseModel):
    text: str = Field(min_length=2, max_length=3, pattern=r"^[0-9]+$")
    short: str = Field(min_length=1)
    count: int = Field(ge=1, le=5)
    open_range: int = Field(gt=1, lt=5)
    day: date
    at: datetime
    colour: Literal["red", "yellow"]
    flag: bool
    picks: list[int] = Field(min_length=1, max_length=2)
    amount: float
    name: str


BAD: list[dict[str, Any]] = [
    {},
    {"text": "", "short": "", "count": 0, "open_range": 1, "day": "x", "at": "x"},
    {"colour": "blue", "flag": "maybe", "picks": [], "amount": "q", "name": 1},
    {"text": "1234", "count": 9, "open_range": 9, "day": "2026-13-01", "picks": [1, 2, 3]},
    {"text": "ab", "count": "x", "open_range": 1.5, "day": datetime(2026, 1, 1, 9)},
    {"text": "1", "picks": [1, 2, 3, 4]},
]


def messages() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for data in BAD:
        with pytest.raises(ValidationError) as exc:
            Form(**data)
        for e in exc.value.errors():
            found.setdefault(e["msg"], e["type"])
    return sorted((t, m) for m, t in found.items())


def test_the_sample_covers_the_common_error_types() -> None:
    types = {t for t, _ in messages()}
    assert {"missing", "string_too_short", "string_too_long", "greater_than_equal"} <= types
    assert {"int_parsing", "literal_error", "too_long", "date_from_datetime_parsing"} <= types


@pytest.mark.parametrize(("kind", "message"), messages())
def test_pydantic_message_is_shown_in_chinese(kind: str, message: str) -> None:
    shown = translate_reason(message, TRANSLATIONS, "zh_CN")
    assert CJK.search(shown), f"{kind}: {message!r} shown untranslated"
    rest = shown
    if kind in ("literal_error", "string_pattern_mismatch"):
        # the allowed values / the pattern are shown as they are
        rest = re.sub(r"：.*$|（应符合 .*）$", "", shown)
    assert not ENGLISH_WORD.search(rest), f"{kind}: {message!r} left English: {shown!r}"
