"""The dispute models as the HTTP edge takes them: the same fields, but an unknown field is
refused (422 with the field) instead of ignored. Only request bodies use these; what the
workflow carries in its history stays lenient (types.py), so a release may add or drop a field
without breaking running cases."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from workflows.disputes import types as t

STRICT = ConfigDict(extra="forbid")


class PartyForm(t.Party):
    model_config = STRICT


class HouseholdForm(t.Household):
    model_config = STRICT


class RiskFactsForm(t.RiskFacts):
    model_config = STRICT


class FollowUpForm(t.FollowUpInput):
    model_config = STRICT
    risk: RiskFactsForm | None = None


class ReturnVisitForm(t.ReturnVisitInput):
    model_config = STRICT
    risk: RiskFactsForm | None = None


def _strict(model: type[BaseModel]) -> type[BaseModel]:
    strict: type[BaseModel] = type(f"{model.__name__}Form", (model,), {"model_config": STRICT})
    return strict


NESTED: dict[str, type[BaseModel]] = {"follow-up": FollowUpForm, "return-visit": ReturnVisitForm}
ACTION_FORMS: dict[str, type[BaseModel]] = {
    name: NESTED.get(name) or _strict(model) for name, model in t.ACTIONS.items()
}


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
