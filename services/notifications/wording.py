"""The workflow's own words inside a message, in the reader's language.

Dispute events carry a short English note of what happened (a category code for a new case,
"intake screening (2 earlier household cases)", "follow_up overdue since <time>"): these are
worded here; anything else (what an officer typed) is left as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

CATEGORIES = {
    "zh_CN": {
        "neighbours": "邻里纠纷",
        "land": "土地纠纷",
        "marriage_family": "婚恋家庭纠纷",
        "debt": "债务纠纷",
        "labour": "劳资纠纷",
        "other": "其他纠纷",
    },
    "en": {
        "neighbours": "Dispute between neighbours",
        "land": "Land dispute",
        "marriage_family": "Marriage and family dispute",
        "debt": "Debt dispute",
        "labour": "Labour dispute",
        "other": "Other dispute",
    },
}
TASKS = {
    "zh_CN": {
        "accept": "受理",
        "follow_up": "跟进走访",
        "linkage": "联动协办",
        "closure_approval": "结案审批",
        "return_visit": "回访",
    },
    "en": {
        "accept": "Acceptance",
        "follow_up": "Follow-up",
        "linkage": "Linkage",
        "closure_approval": "Closure approval",
        "return_visit": "Return visit",
    },
}
FIXED = {
    "zh_CN": {
        "re-screened on relapse": "矛盾反复，重新研判",
        "re-screened on new facts": "据新情况重新研判",
    },
    "en": {},
}
Worder = Callable[[re.Match[str], str, Callable[[datetime], str]], str]


def _intake(m: re.Match[str], locale: str, when: Callable[[datetime], str]) -> str:
    n = m.group(1)
    if locale == "zh_CN":
        return f"受理研判（该户此前 {n} 起案件）"
    return f"intake screening ({n} earlier household cases)"


def _overdue(m: re.Match[str], locale: str, when: Callable[[datetime], str]) -> str:
    task = TASKS[locale].get(m.group(1), m.group(1))
    try:
        due = when(datetime.fromisoformat(m.group(2)))
    except ValueError:
        due = m.group(2)
    if locale == "zh_CN":
        return f"{task}已逾期（应于 {due} 前完成）"
    return f"{task} overdue since {due}"


PATTERNS: list[tuple[re.Pattern[str], Worder]] = [
    (re.compile(r"intake screening \((\d+) earlier household cases\)"), _intake),
    (re.compile(r"([a-z_]+) overdue since (\S+)"), _overdue),
]


def word_note(text: str, locale: str, when: Callable[[datetime], str]) -> str:
    """`text` in `locale` when it is one of the workflow's notes, else unchanged."""
    stripped = text.strip()
    if stripped in CATEGORIES[locale]:
        return CATEGORIES[locale][stripped]
    if stripped in FIXED[locale]:
        return FIXED[locale][stripped]
    for pattern, worder in PATTERNS:
        found = pattern.fullmatch(stripped)
        if found is not None:
            return worder(found, locale, when)
    return text
