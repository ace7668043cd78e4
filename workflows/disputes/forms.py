"""The dispute models as the HTTP edge takes them: the same fields, but an unknown field is
refused (422 with the field) instead of ignored. Only request bodies use these (the intake and
action bodies are shared.contracts.disputes, which the portal uses too); what the workflow
carries in its history stays lenient (types.py), so a release may add or drop a field without
breaking running cases."""

from __future__ import annotations

from pydantic import ConfigDict, model_validator

from shared.contracts import disputes as contract
from workflows.disputes import types as t

STRICT = ConfigDict(extra="forbid")

# The request bodies are the disputes service's HTTP contract, shared with its clients.
PartyForm = contract.Party
HouseholdForm = contract.Household
RiskFactsForm = contract.RiskFacts
FollowUpForm = contract.FollowUpInput
ReturnVisitForm = contract.ReturnVisitInput
ACTION_FORMS = contract.ACTIONS


COLOURS = {"red", "yellow", "green"}


class LifecycleConfigForm(t.LifecycleConfig):
    """A lifecycle an administrator rolls out: every colour given, every duration positive."""

    model_config = STRICT

    @model_validator(mode="after")
    def _complete_and_positive(self) -> LifecycleConfigForm:
        for name in ("accept_minutes", "follow_up_every_days", "follow_up_grace_hours"):
            per_colour: dict[str, float] = getattr(self, name)
            if set(per_colour) != COLOURS:
                raise ValueError(f"{name}: give red, yellow and green")
            if min(per_colour.values()) <= 0:
                raise ValueError(f"{name}: every duration must be positive")
        if min(self.linkage_default_hours, self.closure_approval_hours) <= 0:
            raise ValueError("durations must be positive")
        if min(self.return_visit_after_days, self.return_visit_grace_days) <= 0:
            raise ValueError("durations must be positive")
        if self.continue_as_new_after_events < 200:
            raise ValueError("continue_as_new_after_events: at least 200")
        return self
