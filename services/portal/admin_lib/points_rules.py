"""Earning rules of the points service on the admin page: the labels of each amount, of the
redemption hold and of the expiry period, and the form (one number each) turned into the rule
set the points service validates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.portal.admin_lib.backend import Problem

# form field -> (path in the rule set, English label)
FIELDS: dict[str, tuple[str, str]] = {
    "mediation_help": ("mediation_help", "Each helper of a settled dispute"),
    "follow_up_help": ("follow_up_help", "Each helper on a follow-up visit"),
    "screening_report": ("screening_report", "A resident's report that became a case"),
    "patrol_points_per_hour": ("patrol_points_per_hour", "Volunteer patrol, per hour"),
    "patrol_daily_cap": ("patrol_daily_cap", "Patrol points per person and day, at most"),
    "tip_not_useful": ("tip_points.not_useful", "Crime tip rated not useful"),
    "tip_useful": ("tip_points.useful", "Crime tip rated useful"),
    "tip_led_to_case": ("tip_points.led_to_case", "Crime tip that led to a case"),
}
# versioned with the amounts, for what is held or earned from then on
SETTINGS: dict[str, tuple[str, str]] = {
    "redemption_hold_minutes": (
        "redemption_hold_minutes",
        "Minutes a held redemption waits for the hand-over",
    ),
    "expiry_days": ("expiry_days", "Days earned points last (0: they never expire)"),
}
ALL = {**FIELDS, **SETTINGS}
BY_PATH = {path: name for name, (path, _) in ALL.items()}
# the ledger's reason kinds of the preview
KINDS = {
    "mediation": "Dispute helpers",
    "follow_up": "Follow-up helpers",
    "screening": "Residents' reports",
    "patrol": "Patrols (per person)",
    "tip": "Rated crime tips",
}
NUMBER = re.compile(r"-?\d{1,9}")


def flat(rules: dict[str, Any]) -> dict[str, str]:
    """The form's values of a rule set."""
    tips = rules.get("tip_points", {})
    out = {}
    for name, (path, _) in ALL.items():
        head, _dot, rating = path.partition(".")
        value = tips.get(rating) if rating else rules.get(head)
        out[name] = "" if value is None else str(value)
    return out


@dataclass
class PointsRulesForm:
    values: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    days: int = 30
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: dict[str, Any]) -> PointsRulesForm:
        return cls(values=flat(rules))

    @classmethod
    def parse(cls, form: FormData) -> PointsRulesForm:
        def text(name: str, limit: int = 500) -> str:
            value = form.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""

        days = text("days")
        return cls(
            values={name: text(name, 16) for name in ALL},
            reason=text("reason"),
            days=int(days) if days.isdigit() and 1 <= int(days) <= 366 else 30,
        )

    def rules(self) -> dict[str, Any]:
        """As typed: a number where one was typed, else the text (the service says why)."""
        out: dict[str, Any] = {"tip_points": {}}
        for name, (path, _) in ALL.items():
            raw = self.values.get(name, "")
            value: int | str = int(raw) if NUMBER.fullmatch(raw) else raw
            head, _dot, rating = path.partition(".")
            if rating:
                out["tip_points"][rating] = value
            else:
                out[head] = value
        return out

    def payload(self) -> dict[str, Any]:
        return {"rules": self.rules()}

    def previewed(self) -> None:
        pass

    def show(self, problems: list[Problem]) -> None:
        """Each problem next to its field: `rules.tip_points.useful` on tip_useful."""
        for p in problems:
            where = p.field.removeprefix("rules.")
            self.errors[BY_PATH.get(where, where)] = p.reason
