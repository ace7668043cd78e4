"""The dispute models as the HTTP edge takes them: the same fields, but an unknown field is
refused (422 with the field) instead of ignored. Only request bodies use these; what the
workflow carries in its history stays lenient (types.py), so a release may add or drop a field
without breaking running cases."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

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
