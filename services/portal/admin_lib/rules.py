"""Screening rules on the admin pages and in the JSON API: the typed bodies, the labels, and
the form (one fieldset per rule) turned into the rule set the disputes service validates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.portal.admin_lib.backend import Problem
from shared.contracts.screening_rules import Preview, PreviewIn, RulesIn, RulesVersion

# the disputes service's contract (shared/contracts/screening_rules.py), as the pages use it
__all__ = ["Preview", "PreviewIn", "RulesIn", "RulesVersion"]
COLOURS = {"red": "Red", "yellow": "Yellow", "green": "Green"}
# The facts the disputes service grades on (workflows/disputes/screening.py FACTS).
YES_NO_FACTS = {
    "threats": "Threats were made",
    "weapons": "Weapons are involved",
    "self_harm_talk": "Someone talks of self-harm",
    "minors_involved": "Minors are involved",
    "elderly_involved": "Elderly people are involved",
    "disabled_involved": "Disabled people are involved",
}
NUMBER_FACTS = {
    "people_involved": "Number of people involved",
    "earlier_flare_ups": "Earlier flare-ups",
    "household_cases_90d": "Earlier cases of the same households (90 days)",
}
FACTS = {**YES_NO_FACTS, **NUMBER_FACTS}
OPS = {"yes": "is yes", "no": "is no", "gte": "at least", "eq": "exactly"}
NEW_ROWS = 2
ROW_FIELD = re.compile(r"^rules\.(\d+)\.(.+)$")


@dataclass
class RuleRow:
    """One fieldset of the form, as typed (so a refused form is shown back unchanged)."""

    id: str = ""
    colour: str = "yellow"
    label: str = ""
    label_zh: str = ""
    fact: str = "people_involved"
    op: str = "gte"
    value: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rule: dict[str, Any]) -> RuleRow:
        when = rule["when"]
        if when.get("gte") is not None:
            op, value = "gte", str(when["gte"])
        elif isinstance(when.get("equals"), bool):
            op, value = ("yes" if when["equals"] else "no"), ""
        else:
            op, value = "eq", str(when.get("equals", ""))
        return cls(
            id=rule["id"],
            colour=rule["colour"],
            label=rule.get("label", ""),
            label_zh=rule.get("label_zh", ""),
            fact=when["fact"],
            op=op,
            value=value,
        )

    def blank(self) -> bool:
        return not (self.id or self.label or self.label_zh or self.value)

    def rule(self) -> dict[str, Any]:
        when: dict[str, Any] = {"fact": self.fact}
        if self.op in ("yes", "no"):
            when["equals"] = self.op == "yes"
        else:
            number: int | str = (
                int(self.value) if re.fullmatch(r"-?\d{1,9}", self.value) else self.value
            )
            when["gte" if self.op == "gte" else "equals"] = number
        return {
            "id": self.id,
            "colour": self.colour,
            "label": self.label,
            "label_zh": self.label_zh,
            "when": when,
        }


@dataclass
class RulesForm:
    default: str = "green"
    rows: list[RuleRow] = field(default_factory=list)
    reason: str = ""
    days: int = 30
    errors: dict[str, str] = field(default_factory=dict)
    sent: list[int] = field(default_factory=list)  # form row of each rule sent, in order

    @classmethod
    def of(cls, rules: dict[str, Any]) -> RulesForm:
        rows = [RuleRow.of(r) for r in rules["rules"]]
        return cls(default=rules.get("default", "green"), rows=rows + new_rows())

    @classmethod
    def parse(cls, form: FormData) -> RulesForm:
        def text(name: str, limit: int = 500) -> str:
            value = form.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""

        count = min(int(text("count") or 0) if text("count").isdigit() else 0, 250)
        out = cls(default=text("default") or "green", reason=text("reason"))
        days = text("days")
        out.days = int(days) if days.isdigit() and 1 <= int(days) <= 366 else 30
        for i in range(count):
            row = RuleRow(
                id=text(f"r{i}.id", 64),
                colour=text(f"r{i}.colour", 16),
                label=text(f"r{i}.label", 200),
                label_zh=text(f"r{i}.label_zh", 200),
                fact=text(f"r{i}.fact", 64),
                op=text(f"r{i}.op", 8),
                value=text(f"r{i}.value", 16),
            )
            if text(f"r{i}.remove") or row.blank():
                continue
            out.sent.append(len(out.rows))
            out.rows.append(row)
        return out

    def rules(self) -> dict[str, Any]:
        return {"default": self.default, "rules": [r.rule() for r in self.rows]}

    def payload(self) -> dict[str, Any]:
        return {"rules": self.rules()}

    def previewed(self) -> None:
        self.rows += new_rows()

    def show(self, problems: list[Problem]) -> None:
        """Each problem next to its field: `rules.rules.3.when.gte` on the fourth rule sent."""
        for p in problems:
            where = p.field.removeprefix("rules.")
            found = ROW_FIELD.match(where)
            if found and int(found.group(1)) < len(self.sent):
                row = self.rows[self.sent[int(found.group(1))]]
                key = found.group(2).removeprefix("when.")
                key = key if key in ("id", "colour", "label", "label_zh", "fact") else "value"
                row.errors[key] = p.reason
            else:
                self.errors[where] = p.reason
        self.rows += new_rows()


def new_rows() -> list[RuleRow]:
    return [RuleRow() for _ in range(NEW_ROWS)]
