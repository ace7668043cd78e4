"""Screening rules on the admin pages and in the JSON API: the typed bodies, the labels, and
the form (one fieldset per rule) turned into the rule set the disputes service validates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.datastructures import FormData

from services.portal.admin_lib.backend import Problem
from shared.contracts.times import UTCDateTime

Colour = Literal["red", "yellow", "green"]
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


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_NUMBER = 10_000  # as services/disputes/screening_rules.py
# The rules below are published in the schema but checked by the disputes service, which
# answers every problem of a rule set at once (field and reason), not only the first.


class Condition(_In):
    """Exactly one of `equals` (true/false for a yes/no fact, a whole number for a number fact)
    and `gte` (a number fact)."""

    fact: str = Field(
        description="one of the screening facts",
        examples=["people_involved"],
        json_schema_extra={"enum": list(FACTS)},
    )
    equals: bool | int | None = None
    # strict: `false` is not the number 0 (schemathesis found it taken as 0)
    gte: StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 0, "maximum": MAX_NUMBER}
    )


class Rule(_In):
    id: str = Field(
        examples=["several_people"], json_schema_extra={"pattern": r"^[a-z][a-z0-9_]{1,47}$"}
    )
    colour: Colour
    label: str = Field(
        description="English label", json_schema_extra={"minLength": 1, "maxLength": 120}
    )
    label_zh: str = Field(
        default="", description="Chinese label", json_schema_extra={"maxLength": 120}
    )
    when: Condition


class RuleSet(_In):
    default: Colour = "green"
    rules: list[Rule] = Field(
        description="ids are unique", json_schema_extra={"minItems": 1, "maxItems": 200}
    )


class PreviewIn(_In):
    rules: RuleSet
    days: int = Field(default=30, ge=1, le=366, description="cases reported in the last N days")


class RulesIn(_In):
    rules: RuleSet
    reason: str = Field(
        description="why the rules change (5 to 500 characters)",
        json_schema_extra={"minLength": 5, "maxLength": 500, "pattern": r"\S"},
    )


class RulesVersion(BaseModel):
    version: int = Field(description="0 is the installation's rules.yaml")
    rules: RuleSet
    author_id: str | None = None
    reason: str | None = None
    created_at: UTCDateTime | None = None


class ColourCounts(BaseModel):
    red: int
    yellow: int
    green: int


class ChangedCase(BaseModel):
    case_id: str
    case_no: str
    reported_at: datetime
    current: Colour
    proposed: Colour
    rules_fired: list[str]


class Preview(BaseModel):
    since: datetime
    until: datetime
    cases: int = Field(description="cases reported in the window")
    current_version: int
    current: ColourCounts = Field(description="their colours under the rules in force")
    proposed: ColourCounts = Field(description="their colours under the proposed rules")
    changed_total: int
    changed: list[ChangedCase] = Field(description="the first 50 cases whose colour changes")


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
