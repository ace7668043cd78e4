"""Events of the dispute lifecycle (routing keys dispute.*)."""

from __future__ import annotations

from shared.messaging.events import Event, register


class DisputeEvent(Event):
    case_id: str
    case_no: str
    colour: str
    stage: str
    village_code: str
    station_code: str | None = None
    assignee_id: str | None = None
    # user ids of residents who are parties and reported the case (for notifications)
    resident_ids: list[str] = []
    summary: str = ""


@register
class DisputeReported(DisputeEvent):
    routing_key = "dispute.reported"
    reporter_id: str | None = None
    reporter_kind: str = "officer"


@register
class DisputeScreened(DisputeEvent):
    routing_key = "dispute.screened"
    rules_fired: list[str] = []
    previous_colour: str | None = None
    reason: str | None = None


@register
class DisputeAssigned(DisputeEvent):
    routing_key = "dispute.assigned"
    deadline: str | None = None


@register
class DisputeAccepted(DisputeEvent):
    routing_key = "dispute.accepted"


@register
class DisputeDeclined(DisputeEvent):
    routing_key = "dispute.declined"
    reason: str


@register
class DisputeEscalated(DisputeEvent):
    routing_key = "dispute.escalated"
    reason: str
    chief_id: str | None = None
    level: str = "station"  # station (the chief) | county (the county duty desk)


@register
class DisputeFollowUpRecorded(DisputeEvent):
    routing_key = "dispute.follow_up_recorded"
    outcome: str
    helper_ids: list[str] = []


@register
class DisputePartnerRequested(DisputeEvent):
    routing_key = "dispute.partner_requested"
    partner: str
    deadline: str


@register
class DisputeClosureProposed(DisputeEvent):
    routing_key = "dispute.closure_proposed"
    settlement: str


@register
class DisputeClosed(DisputeEvent):
    """Closed; `helper_ids` are residents/volunteers credited for helping (points service)."""

    routing_key = "dispute.closed"
    settlement: str
    helper_ids: list[str] = []
    reporter_id: str | None = None


@register
class DisputeReopened(DisputeEvent):
    routing_key = "dispute.reopened"
    reason: str


@register
class DisputeReturnVisited(DisputeEvent):
    routing_key = "dispute.return_visited"
    holds: bool


@register
class DisputeCancelled(DisputeEvent):
    routing_key = "dispute.cancelled"
    reason: str


@register
class DisputeFollowUpDue(DisputeEvent):
    """A follow-up visit is due (cadence set by the colour)."""

    routing_key = "dispute.follow_up_due"
    due_at: str


@register
class DisputePartnerReplied(DisputeEvent):
    routing_key = "dispute.partner_replied"
    partner: str
    request_id: str


@register
class DisputeClosureRejected(DisputeEvent):
    routing_key = "dispute.closure_rejected"
    reason: str


@register
class DisputeReturnVisitDue(DisputeEvent):
    routing_key = "dispute.return_visit_due"
    due_at: str
