"""The three-colour rules (rules.yaml) as pure code."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.disputes.screening import grade, load_rules
from workflows.disputes.types import RiskFacts

RULES = load_rules()


@pytest.mark.parametrize(
    ("facts", "history", "colour", "fired"),
    [
        ({}, 0, "green", []),
        ({"threats": True}, 0, "red", ["threats"]),
        ({"weapons": True, "elderly_involved": True}, 0, "red", ["weapons", "elderly_involved"]),
        ({"self_harm_talk": True}, 0, "red", ["self_harm_talk"]),
        ({"people_involved": 12}, 0, "red", ["group_dispute", "several_people"]),
        ({"people_involved": 5}, 0, "yellow", ["several_people"]),
        ({"earlier_flare_ups": 3}, 0, "red", ["repeated_flare_ups", "earlier_flare_up"]),
        ({"minors_involved": True}, 0, "yellow", ["minors_involved"]),
        ({"disabled_involved": True}, 0, "yellow", ["disabled_involved"]),
        ({}, 1, "yellow", ["household_earlier_case"]),
        ({}, 2, "red", ["household_repeat_cases", "household_earlier_case"]),
    ],
)
def test_grade_and_the_rules_that_fired(
    facts: dict[str, object], history: int, colour: str, fired: list[str]
) -> None:
    g = grade(RULES, RiskFacts.model_validate(facts), history)
    assert (g.colour, g.rules_fired) == (colour, fired)


def test_rules_are_configuration(tmp_path: Path) -> None:
    strict = tmp_path / "rules.yaml"
    strict.write_text(
        "default: yellow\nrules:\n"
        "  - {id: crowd, colour: red, when: {fact: people_involved, gte: 3}}\n",
        encoding="utf-8",
    )
    rules = load_rules(strict)
    assert grade(rules, RiskFacts(people_involved=3)).model_dump() == {
        "colour": "red",
        "rules_fired": ["crowd"],
    }
    assert grade(rules, RiskFacts()).colour == "yellow"


def test_a_rule_on_an_unknown_fact_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "rules:\n  - {id: x, colour: red, when: {fact: knives, equals: true}}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"unknown facts \['knives'\]"):
        load_rules(bad)
