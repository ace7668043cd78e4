"""Lifecycle deadlines on the admin page: the labels of each deadline, and the form (three
colours per cadence, one field per other deadline) turned into the values the disputes service
validates; its refusals are shown next to their fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.portal.admin_lib.backend import Problem

COLOURS = {"red": "Red", "yellow": "Yellow", "green": "Green"}
PER_COLOUR = {
    "accept_minutes": "Minutes for the officer to accept the case",
    "follow_up_every_days": "A follow-up visit every ... days",
    "follow_up_grace_hours": "Hours a due visit may wait before it escalates",
}
SINGLE = {
    "linkage_default_hours": "Hours for a partner's reply (unless the officer sets them)",
    "closure_approval_hours": "Hours for the station chief to approve a closure",
    "return_visit_after_days": "Days after closure until the return visit",
    "return_visit_grace_days": "Days the return visit may wait before it escalates",
}
# the effects the preview counts (shared/contracts/disputes.py EffectName)
EFFECTS = {
    "accept_late": "Acceptances past the deadline (each escalated)",
    "follow_up_due": "Follow-up visits due",
    "follow_up_overdue": "Follow-up visits overdue",
    "linkage_overdue": "Partner replies overdue",
    "closure_approval_overdue": "Closure approvals overdue",
    "return_visit_due": "Return visits due",
    "return_visit_overdue": "Return visits overdue",
}
NUMBER = re.compile(r"^\d{1,7}(\.\d{1,4})?$")


def _number(text: str) -> int | float | str:
    """What was typed, as a number when it is one (else as typed: the service says why)."""
    if not NUMBER.match(text):
        return text
    return float(text) if "." in text else int(text)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class LifecycleForm:
    texts: dict[str, str] = field(default_factory=dict)  # "accept_minutes.red" -> "30"
    reason: str = ""
    days: int = 30
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, values: dict[str, Any]) -> LifecycleForm:
        texts = {f"{name}.{c}": _text(values[name][c]) for name in PER_COLOUR for c in COLOURS}
        texts |= {name: _text(values[name]) for name in SINGLE}
        return cls(texts=texts)

    @classmethod
    def parse(cls, form: FormData) -> LifecycleForm:
        def text(name: str, limit: int = 32) -> str:
            value = form.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""

        names = [f"{n}.{c}" for n in PER_COLOUR for c in COLOURS] + list(SINGLE)
        out = cls(texts={n: text(n) for n in names}, reason=text("reason", 500))
        days = text("days")
        out.days = int(days) if days.isdigit() and 1 <= int(days) <= 366 else 30
        return out

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: {c: _number(self.texts[f"{name}.{c}"]) for c in COLOURS} for name in PER_COLOUR
        }
        return out | {name: _number(self.texts[name]) for name in SINGLE}

    def payload(self) -> dict[str, Any]:
        return {"values": self.values()}

    def previewed(self) -> None:
        pass

    def show(self, problems: list[Problem]) -> None:
        """Each problem next to its field: `values.accept_minutes.red` on the red minutes."""
        for p in problems:
            self.errors[p.field.removeprefix("values.")] = p.reason
