"""Who may do what, in which stage: the checks behind the update validator. Pure code.

The validator runs only when an update arrives (never on replay) and runs `check`: today's
payload rules, then the state conditions. The handler, which replays, re-runs only the state
conditions (`check_state`) on a payload taken as accepted (`accepted_payload`), so tightening
a validation limit never changes what an accepted update does when a running case replays.
Changing a state condition does: that change goes behind `workflow.patched`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from shared.stages import OPEN_STAGES
from workflows.disputes.types import (
    ACTIONS,
    ActionRequest,
    CaseState,
    PartnerReplyInput,
    ReassignInput,
    RegradeInput,
    RiskFacts,
    Stage,
)

OPEN = OPEN_STAGES
STAGES: dict[str, tuple[str, ...]] = {
    "accept": (Stage.ASSIGNMENT,),
    "decline": (Stage.ASSIGNMENT,),
    "follow-up": (Stage.FOLLOW_UP,),
    "regrade": OPEN,
    "link-partner": (Stage.FOLLOW_UP,),
    "partner-reply": (Stage.FOLLOW_UP, Stage.CLOSURE_APPROVAL),
    "propose-closure": (Stage.FOLLOW_UP,),
    "approve-closure": (Stage.CLOSURE_APPROVAL,),
    "reject-closure": (Stage.CLOSURE_APPROVAL,),
    "return-visit": (Stage.RETURN_VISIT,),
    "reassign": (*OPEN, Stage.RETURN_VISIT),
    "escalate": (*OPEN, Stage.RETURN_VISIT),
    "cancel": OPEN,
}
ASSIGNEE_ONLY = {
    "accept",
    "decline",
    "follow-up",
    "link-partner",
    "partner-reply",
    "propose-closure",
    "return-visit",
}
SUPERVISOR_ONLY = {"approve-closure", "reject-closure", "reassign", "escalate", "cancel"}


class Refused(Exception):
    pass


def field_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )


def is_supervisor(state: CaseState, req: ActionRequest) -> bool:
    a = req.actor
    if a.role in ("supervisor", "admin"):
        return True
    return a.role == "station_chief" and a.station_code == state.station_code


def check(state: CaseState, req: ActionRequest) -> BaseModel:
    """The parsed payload if `req` is allowed now; raises Refused with the reason otherwise."""
    model = ACTIONS.get(req.action)
    if model is None:
        raise Refused(f"unknown action {req.action!r}")
    try:
        payload = model.model_validate(req.payload)
    except ValidationError as exc:
        raise Refused(f"invalid {req.action}: {field_errors(exc)}") from None
    check_state(state, req, payload)
    return payload


def accepted_payload(req: ActionRequest) -> BaseModel:
    """The payload of an update the validator accepted, as the handler uses it: parsed by
    today's model when it still passes, else taken as it was (a limit tightened since)."""
    model = ACTIONS.get(req.action)
    if model is None:
        raise Refused(f"unknown action {req.action!r}")
    try:
        return model.model_validate(req.payload)
    except ValidationError:
        values: dict[str, Any] = dict(req.payload)
        risk = values.get("risk")
        if isinstance(risk, dict):
            values["risk"] = RiskFacts.model_construct(None, **risk)
        return model.model_construct(None, **values)


def check_state(state: CaseState, req: ActionRequest, payload: BaseModel) -> None:
    """The conditions on the case's state: stage, who acts, what is pending."""
    if req.action not in STAGES:
        raise Refused(f"unknown action {req.action!r}")
    if state.stage not in STAGES[req.action]:
        raise Refused(f"{req.action} is not allowed in stage {state.stage}")
    actor = req.actor
    if actor.role == "partner":
        check_partner(state, req, payload)
    elif req.action in ASSIGNEE_ONLY and (
        actor.role != "officer" or actor.user_id != state.assignee_id
    ):
        raise Refused(f"only the assigned officer may {req.action} this case")
    if req.action in SUPERVISOR_ONLY and not is_supervisor(state, req):
        raise Refused(f"only the station chief of {state.station_code} may {req.action}")
    if req.action == "regrade":
        assert isinstance(payload, RegradeInput)
        if not (actor.user_id == state.assignee_id or is_supervisor(state, req)):
            raise Refused("only the assigned officer or a supervisor may regrade this case")
        if payload.colour == state.colour:
            raise Refused(f"the case is already {state.colour}")
    if isinstance(payload, PartnerReplyInput):
        pending = {p.request_id for p in state.partner_requests if p.answer is None}
        if payload.request_id not in pending:
            raise Refused(f"no open partner request {payload.request_id}")
    if isinstance(payload, ReassignInput) and payload.officer_id == state.assignee_id:
        raise Refused(f"the case is already assigned to {payload.officer_id}")


def check_partner(state: CaseState, req: ActionRequest, payload: BaseModel) -> None:
    """A partner organisation's member answers the requests sent to their organisation, and
    does nothing else. (No recorded history has a partner actor: replays never come here.)"""
    if req.action != "partner-reply" or not isinstance(payload, PartnerReplyInput):
        raise Refused(f"a partner organisation may not {req.action} a case")
    asked = next((p for p in state.partner_requests if p.request_id == payload.request_id), None)
    if asked is None or not req.actor.partner_code or asked.partner_code != req.actor.partner_code:
        raise Refused(f"request {payload.request_id} was not sent to your organisation")


def allowed_actions(state: CaseState) -> list[str]:
    return [a for a, stages in STAGES.items() if state.stage in stages]
