"""Three-colour screening: configurable rules (rules.yaml) over the risk facts. Pure code."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from workflows.disputes.types import COLOUR_RANK, Colour, RiskFacts

RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fact: str
    equals: bool | int | None = None
    gte: int | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    colour: Colour
    label: str = ""
    label_zh: str = ""
    when: Condition


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: Colour = "green"
    rules: list[Rule]


class Grade(BaseModel):
    colour: Colour
    rules_fired: list[str]


FACTS = {*RiskFacts.model_fields, "household_cases_90d"}


def load_rules(path: Path = RULES_FILE) -> RuleSet:
    rules = RuleSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    unknown = sorted({r.when.fact for r in rules.rules} - FACTS)
    if unknown:
        raise ValueError(f"{path}: unknown facts {unknown}")
    return rules


def _fires(cond: Condition, facts: dict[str, int | bool]) -> bool:
    value = facts[cond.fact]
    if cond.equals is not None and value != cond.equals:
        return False
    return not (cond.gte is not None and int(value) < cond.gte)


def grade(rules: RuleSet, risk: RiskFacts, household_cases_90d: int = 0) -> Grade:
    facts: dict[str, int | bool] = {**risk.model_dump(), "household_cases_90d": household_cases_90d}
    fired = [r for r in rules.rules if _fires(r.when, facts)]
    colour: Literal["red", "yellow", "green"] = rules.default
    for r in fired:
        if COLOUR_RANK[r.colour] > COLOUR_RANK[colour]:
            colour = r.colour
    return Grade(colour=colour, rules_fired=[r.id for r in fired])
