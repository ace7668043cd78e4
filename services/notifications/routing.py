"""Routing rules: which event goes to whom over which channels (loaded from routing.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.messaging.events import Event

Audience = Literal[
    "parties",
    "assignee",
    "station_chief",
    "station_group",
    "group_leader",
    "clerk",
    "admins",
    "resident",
    "officer",
    "account",
    "helpers",
    "applicant",
    "county_desk",
]
Channel = Literal["inbox", "sms", "email", "bot"]

# Audiences made of residents: their messages never carry free text about the case.
RESIDENT_AUDIENCES: frozenset[str] = frozenset(
    {"parties", "resident", "account", "helpers", "applicant"}
)

Condition = dict[str, list[Any]]


def matches(condition: Condition | None, event: Event) -> bool:
    if not condition:
        return False
    return all(getattr(event, field, None) in allowed for field, allowed in condition.items())


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    who: Audience
    channels: list[Channel]
    when: Condition | None = None


class EventRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    urgent: bool = False
    urgent_when: Condition | None = None
    to: list[Target]

    def is_urgent(self, event: Event) -> bool:
        return self.urgent or matches(self.urgent_when, event)

    def targets(self, event: Event) -> list[Target]:
        return [t for t in self.to if t.when is None or matches(t.when, event)]


class RoutingRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: list[str]
    # kinds nobody can switch off (codes, one-time passwords, warnings about one's account)
    always_on: list[str] = Field(default_factory=list)
    ignored: list[str] = Field(default_factory=list)
    events: dict[str, EventRule] = Field(default_factory=dict)

    @property
    def switchable(self) -> list[str]:
        """The kinds offered on the preferences page."""
        return [k for k in self.kinds if k not in self.always_on]

    def rule_for(self, routing_key: str) -> EventRule | None:
        return self.events.get(routing_key)

    def patterns(self) -> list[str]:
        """Broker binding patterns: one `<domain>.*` per domain with a rule, plus user.upserted."""
        domains = sorted({key.split(".", 1)[0] for key in self.events})
        return [f"{d}.*" for d in domains] + ["user.upserted"]


def load_rules(path: Path) -> RoutingRules:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    rules = RoutingRules.model_validate(data)
    unknown = {r.kind for r in rules.events.values()} - set(rules.kinds)
    if unknown:
        raise ValueError(f"{path}: kinds not declared: {sorted(unknown)}")
    return rules
