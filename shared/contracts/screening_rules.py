"""The disputes service's contract for its screening rules as data (beside
shared/contracts/disputes.py): a rule set, a stored version with who/when/why, and the preview
of a proposed set over recent cases. The portal's admin API publishes the same models.

The bounds below are published in the schema but checked by the disputes service, which
answers every problem of a rule set at once (field and reason), not only the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.contracts.times import UTCDateTime

Colour = Literal["red", "yellow", "green"]
# The facts the disputes service grades on (workflows/disputes/screening.py FACTS).
YES_NO_FACTS = (
    "threats",
    "weapons",
    "self_harm_talk",
    "minors_involved",
    "elderly_involved",
    "disabled_involved",
)
NUMBER_FACTS = ("people_involved", "earlier_flare_ups", "household_cases_90d")
FACTS = (*YES_NO_FACTS, *NUMBER_FACTS)
MAX_NUMBER = 10_000  # as services/disputes/screening_rules.py


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
