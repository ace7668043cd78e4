"""Inputs and outputs of the dispute lifecycle: action payloads, the case view and state, the
activities' inputs and results (the intake and actor are in intake.py). Every model is carried
in workflow history: it ignores unknown fields and a field added after the first recorded
release has a default (tests/workflows/test_carried_models.py); the HTTP edge uses the strict
forms of shared.contracts.disputes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from workflows.disputes.intake import (
    COLOUR_RANK,
    Actor,
    ActorRole,
    Category,
    Colour,
    DisputeIntake,
    Household,
    Outcome,
    PartnerKind,
    Party,
    PartyRole,
    ReporterKind,
    RiskFacts,
    SettlementKind,
    Stage,
    _Model,
    _not_blank,
)

__all__ = [  # noqa: RUF022 - intake.py's names, re-exported; the ones defined here are public too
    "Actor",
    "ActorRole",
    "COLOUR_RANK",
    "Category",
    "Colour",
    "DisputeIntake",
    "Household",
    "Outcome",
    "PartnerKind",
    "Party",
    "PartyRole",
    "ReporterKind",
    "RiskFacts",
    "SettlementKind",
    "Stage",
]

# --- action payloads (one per URL action name) ---------------------------------------------


class AcceptInput(_Model):
    note: str = Field(default="", max_length=1000)


class DeclineInput(_Model):
    reason: str = Field(max_length=1000)

    _reason = field_validator("reason")(_not_blank)


class FollowUpInput(_Model):
    done: str = Field(max_length=4000)
    outcome: Outcome
    helper_ids: list[str] = []
    risk: RiskFacts | None = None

    _done = field_validator("done")(_not_blank)


class RegradeInput(_Model):
    colour: Colour
    reason: str = Field(max_length=1000)

    _reason = field_validator("reason")(_not_blank)


class LinkPartnerInput(_Model):
    partner: PartnerKind
    request: str = Field(max_length=2000)
    deadline_hours: int | None = Field(default=None, ge=1, le=24 * 90)
    partner_code: str | None = Field(
        default=None,
        max_length=32,
        description="the partner organisation asked (its code in the directory); it answers "
        "in its own task list. Its kind must match `partner`, and it must serve the case's "
        "village.",
    )

    _request = field_validator("request")(_not_blank)


class PartnerReplyInput(_Model):
    request_id: str = Field(min_length=1)
    answer: str = Field(max_length=2000)

    _answer = field_validator("answer")(_not_blank)


class ProposeClosureInput(_Model):
    settlement_kind: SettlementKind
    summary: str = Field(max_length=4000)

    _summary = field_validator("summary")(_not_blank)


class ApproveClosureInput(_Model):
    note: str = Field(default="", max_length=1000)


class RejectClosureInput(_Model):
    reason: str = Field(max_length=1000)

    _reason = field_validator("reason")(_not_blank)


class ReturnVisitInput(_Model):
    holds: bool
    note: str = Field(default="", max_length=2000)
    risk: RiskFacts | None = None


class ReassignInput(_Model):
    officer_id: str = Field(min_length=1)
    reason: str = Field(max_length=1000)

    _reason = field_validator("reason")(_not_blank)


class EscalateInput(_Model):
    reason: str = Field(max_length=1000)

    _reason = field_validator("reason")(_not_blank)


class CancelInput(_Model):
    reason: str = Field(max_length=1000)

    _reason = field_validator("reason")(_not_blank)


ACTIONS: dict[str, type[BaseModel]] = {
    "accept": AcceptInput,
    "decline": DeclineInput,
    "follow-up": FollowUpInput,
    "regrade": RegradeInput,
    "link-partner": LinkPartnerInput,
    "partner-reply": PartnerReplyInput,
    "propose-closure": ProposeClosureInput,
    "approve-closure": ApproveClosureInput,
    "reject-closure": RejectClosureInput,
    "return-visit": ReturnVisitInput,
    "reassign": ReassignInput,
    "escalate": EscalateInput,
    "cancel": CancelInput,
}


class ActionRequest(_Model):
    """The argument of the `act` update: the portal's request, as it arrived."""

    action: str
    payload: dict[str, object]
    actor: Actor
    idempotency_key: str


# --- what queries and updates return --------------------------------------------------------


class ColourChange(_Model):
    at: datetime
    previous: str | None
    colour: str
    rules_fired: list[str]
    reason: str
    by: str


class PartnerRequest(_Model):
    request_id: str
    partner: str
    request: str
    deadline: datetime
    answer: str | None = None
    escalated: bool = False
    partner_code: str | None = None  # the organisation asked (None: typed in by the officer)
    answered_by: str | None = None  # who recorded the answer (user id)
    answered_by_name: str | None = None
    answered_at: datetime | None = None
    # since the partner-outbound-notice patch: its notice still to go to the partner's channel
    notice_pending: bool = False


class CaseView(_Model):
    case_id: str
    case_no: str
    stage: str
    colour: str
    rules_fired: list[str]
    colour_history: list[ColourChange]
    assignee_id: str | None
    station_code: str | None
    village_code: str
    stage_deadline: datetime | None
    next_follow_up_at: datetime | None
    partner_requests: list[PartnerRequest]
    open_tasks: list[str]
    helper_ids: list[str]
    settlement: str | None
    allowed_actions: list[str]
    history_length: int = 0
    runs: int = 1
    lifecycle_version: str = ""


# --- configuration, workflow state and activity payloads -----------------------------------


class LifecycleConfig(_Model):
    """Deadlines and cadences (lifecycle.yaml); loaded by an activity, carried in the state."""

    accept_minutes: dict[str, int] = {"red": 30, "yellow": 240, "green": 1440}
    follow_up_every_days: dict[str, float] = {"red": 1, "yellow": 3, "green": 7}
    follow_up_grace_hours: dict[str, float] = {"red": 12, "yellow": 24, "green": 48}
    linkage_default_hours: float = 72
    closure_approval_hours: float = 24
    return_visit_after_days: float = 7
    return_visit_grace_days: float = 3
    household_history_days: int = 90
    load_weights: dict[str, int] = {"red": 3, "yellow": 2, "green": 1}
    continue_as_new_after_events: int = 2000


# The deadlines and cadences of the disputes service's lifecycle policy (an administrator's
# version): given at start, laid over the worker's LifecycleConfig for this case only. The same
# fields as shared.contracts.disputes.LifecycleDeadlines (the schemas are compared).
class LifecycleDeadlines(_Model):
    accept_minutes: dict[str, int]
    follow_up_every_days: dict[str, float]
    follow_up_grace_hours: dict[str, float]
    linkage_default_hours: float
    closure_approval_hours: float
    return_visit_after_days: float
    return_visit_grace_days: float


class OpenTask(_Model):
    task_id: str
    kind: str  # accept | follow_up | linkage | closure_approval | return_visit | county_review
    assignee_id: str | None
    opened_at: datetime
    due_at: datetime
    escalated: bool = False


class CaseState(_Model):
    """Everything the workflow knows; carried whole across continue-as-new."""

    config: LifecycleConfig
    case_id: str
    case_no: str
    village_code: str
    station_code: str
    chief_id: str
    household_ids: list[str]
    resident_ids: list[str]
    reporter_id: str | None
    risk: RiskFacts
    stage: str = Stage.SCREENING
    colour: str = "green"
    rules_fired: list[str] = []
    colour_history: list[ColourChange] = []
    assignee_id: str | None = None
    excluded: list[str] = []
    accept_breaches: int = 0  # missed acceptance windows (bounded-accept-escalation)
    tasks: list[OpenTask] = []
    partner_requests: list[PartnerRequest] = []
    last_follow_up_at: datetime | None = None
    next_follow_up_at: datetime | None = None
    return_visit_at: datetime | None = None
    helper_ids: list[str] = []
    credited_ids: list[str] = []
    settlement: str | None = None
    seq: int = 0
    counter: int = 0
    applied_keys: list[str] = []
    runs: int = 1
    reported_in_field_at: datetime | None = None
    lifecycle_version: str = ""  # "" = the configuration the case started with


class StartInput(_Model):
    intake: DisputeIntake
    state: CaseState | None = None
    # the policy in force when the case was reported (None: old histories, the installation's
    # lifecycle.yaml as the worker loads it); a continued run carries its config in `state`
    lifecycle: LifecycleDeadlines | None = None


class RegisterInput(_Model):
    intake: DisputeIntake


class Registered(_Model):
    case_no: str
    station_code: str
    chief_id: str
    colour: Colour
    rules_fired: list[str]
    household_cases: int


class ScreenInput(_Model):
    case_id: str
    household_ids: list[str]
    risk: RiskFacts
    at: datetime


class Screened(_Model):
    colour: Colour
    rules_fired: list[str]
    household_cases: int


class PickInput(_Model):
    case_id: str
    village_code: str
    exclude: list[str]


class Picked(_Model):
    officer_id: str
    # why nobody could be picked (every officer of the station deactivated): officer_id is ""
    unassigned: str | None = None


class PartnerNotice(_Model):
    """A linkage request as told to the partner organisation's outbound channel (no personal
    data: the organisation reads the case in its own task list)."""

    case_id: str
    case_no: str
    request_id: str
    partner: str
    partner_code: str
    request: str
    deadline: datetime
    village_code: str


class NoticeSent(_Model):
    channel: str | None = None  # where it went; None: the organisation has no channel


class ConfigRequest(_Model):
    case_id: str


class TaskSpec(_Model):
    task_id: str
    kind: str
    title: str
    assignee_id: str | None
    due_at: datetime | None
    partner_code: str | None = None  # a linkage request's organisation (its task list)


class Transition(_Model):
    """One step of the lifecycle, written by one activity in one transaction (keyed by seq)."""

    case_id: str
    case_no: str
    seq: int
    at: datetime
    kind: str
    actor_id: str
    note: str = ""
    stage: str
    colour: str
    rules_fired: list[str]
    assignee_id: str | None
    station_code: str
    village_code: str
    stage_deadline: datetime | None
    resident_ids: list[str]
    settlement: str | None = None
    closed: bool = False
    colour_change: ColourChange | None = None
    event: str | None = None  # routing key
    event_fields: dict[str, object] = {}
    open_tasks: list[TaskSpec] = []
    close_tasks: list[str] = []
    reassign_tasks_to: str | None = None
    due_changes: dict[str, datetime] = {}
    audit_action: str | None = None
    timeline_data: dict[str, object] = {}  # recorded in the timeline only, not in the event
