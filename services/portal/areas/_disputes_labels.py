"""English labels (msgids of disputes.po) for the codes the disputes pages show."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from shared.localtime import local_zone

LOCAL = local_zone()
CASE_NO = re.compile(r"FQ\d{4}-[0-9A-Z]+")

CATEGORIES = {
    "marriage_family": "Marriage and family",
    "neighbours": "Neighbours",
    "land": "Land",
    "debt": "Debt",
    "labour": "Labour",
    "other": "Other",
}
STAGES = {
    "screening": "Screening",
    "assignment": "Awaiting acceptance",
    "follow_up": "Follow-up",
    "closure_approval": "Closure approval",
    "return_visit": "Return visit",
    "closed": "Closed",
    "cancelled": "Cancelled",
}
# What a resident is told happens next, per stage.
NEXT_STEPS = {
    "assignment": "A community officer is being assigned and will contact you.",
    "follow_up": "The officer is working with the parties towards a settlement and will visit.",
    "closure_approval": "A settlement was reached and awaits the station chief's approval.",
    "return_visit": "The case is settled; the officer will visit again to check it holds.",
    "closed": "The case is closed.",
    "cancelled": "The case was cancelled.",
}
COLOURS = {"red": "Red", "yellow": "Yellow", "green": "Green"}
KINDS = {
    "accept": "Accept",
    "follow_up": "Follow-up",
    "linkage": "Linkage",
    "closure_approval": "Closure approval",
    "return_visit": "Return visit",
    "application": "Online application",
    "home_visit": "Door-to-door visit",
    "county_review": "County desk: not accepted",
}
PARTY_ROLES = {"complainant": "Complainant", "respondent": "Respondent", "other": "Other party"}
OUTCOMES = {
    "progress": "Progress",
    "no_change": "No change",
    "worse": "Worse",
    "settled": "Settled",
}
PARTNERS = {
    "village_committee": "Village committee",
    "judicial_office": "Judicial office",
    "womens_federation": "Women's federation",
    "township_government": "Township government",
    "other": "Other partner",
}
SETTLEMENTS = {
    "mediation_agreement": "Mediation agreement",
    "referral": "Referral to court or another body",
    "withdrawn": "Withdrawn",
}
ACTIONS = {
    "accept": "Accept the case",
    "decline": "Decline",
    "follow-up": "Record a follow-up",
    "regrade": "Change the colour",
    "link-partner": "Request a partner",
    "partner-reply": "Record a partner's answer",
    "propose-closure": "Propose closure",
    "approve-closure": "Approve closure",
    "reject-closure": "Reject closure",
    "return-visit": "Record the return visit",
    "reassign": "Reassign",
    "escalate": "Escalate",
    "cancel": "Cancel the case",
}
RISKS = {
    "threats": "Threats were made",
    "weapons": "Weapons involved",
    "self_harm_talk": "Talk of self-harm",
    "minors_involved": "Minors involved",
    "elderly_involved": "Elderly people involved",
    "disabled_involved": "Disabled people involved",
}
# The workflows' activities, named in a stuck step's reason on the board.
ACTIVITIES = {
    "dispute_config": "Load the lifecycle settings",
    "dispute_register": "Register the case",
    "dispute_screen": "Screen the case",
    "dispute_pick_officer": "Pick the officer",
    "dispute_apply": "Record the step",
    "dispute_notify_partner": "Notify the partner organisation",
    "home_visit_assign": "Assign the visit",
    "home_visit_record": "Record the visit's step",
}
LEVELS = {"red": "Breached", "amber": "Nearly due", "technical": "Technically stuck"}
TIMELINE = {
    "reported": "Case reported",
    "screened": "Screened",
    "assigned": "Assigned",
    "accepted": "Accepted",
    "declined": "Declined",
    "escalated": "Escalated",
    "reassigned": "Reassigned",
    "follow_up": "Follow-up recorded",
    "follow_up_due": "Follow-up due",
    "regraded": "Colour changed",
    "partner_requested": "Partner requested",
    "partner_replied": "Partner answered",
    "partner_notified": "Partner notified through its channel",
    "closure_proposed": "Closure proposed",
    "closure_rejected": "Closure rejected",
    "closure_approved": "Closure approved",
    "return_visit_due": "Return visit due",
    "return_visited": "Return visit recorded",
    "reopened": "Reopened",
    "closed": "Closed",
    "cancelled": "Cancelled",
    "reconciled": "Reconciled with its workflow",
    "repair_retry": "Failing step retried now",
    "repair_pause": "Failing step paused",
    "repair_resume": "Paused step resumed",
    "repair_reset": "Reset to the last good point",
    "repair_terminate": "Workflow terminated by a supervisor",
}
# Screening rule ids of workflows/disputes/rules.yaml.
RULES = {
    "threats": "Threats of violence",
    "weapons": "Weapons involved",
    "self_harm_talk": "Self-harm talk",
    "group_dispute": "Group dispute (10 or more people)",
    "repeated_flare_ups": "Repeated flare-ups (3 or more)",
    "household_repeat_cases": "Same households had 2 or more cases in 90 days",
    "several_people": "Five or more people involved",
    "minors_involved": "Minors involved",
    "elderly_involved": "Elderly people involved",
    "disabled_involved": "Disabled people involved",
    "earlier_flare_up": "An earlier flare-up",
    "household_earlier_case": "Same households had a case in 90 days",
}

# Figures the appointments and points services return (GET /internal/v1/figures).
FIGURES = {
    "served_per_month": "Services delivered per month",
    "served_total": "Services delivered in total",
    "average_wait_days": "Average wait for a slot (days)",
    "promised_time_compliance": "Share done within the promised time",
    "open_applications": "Open online applications",
    "villages": "Points earned by village",
    "groups": "Points earned by volunteer group",
    "months": "Points issued and redeemed per month",
    "patrol_hours": "Volunteer patrol hours",
    "patrol_hours_by_group": "Patrol hours by volunteer group",
}

TABLES = {
    "categories": CATEGORIES,
    "stages": STAGES,
    "next_steps": NEXT_STEPS,
    "colours": COLOURS,
    "kinds": KINDS,
    "party_roles": PARTY_ROLES,
    "outcomes": OUTCOMES,
    "partners": PARTNERS,
    "settlements": SETTLEMENTS,
    "actions": ACTIONS,
    "risks": RISKS,
    "levels": LEVELS,
    "timeline": TIMELINE,
    "rules": RULES,
    "figures": FIGURES,
}


def label(table: dict[str, str], code: str | None) -> str:
    """The English label, or the code itself (shown untranslated) for an unknown code."""
    return table.get(code or "", code or "")


def local_time(t: datetime) -> str:
    """Bureau time (UTC+8) for pages; stored times are UTC."""
    aware = t if t.tzinfo else t.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def case_no(title: str) -> str:
    """A dispute task's title is English ("Accept case FQ2026-..."): show just the case number."""
    found = CASE_NO.search(title)
    return found.group(0) if found else title


# the tasks of a dispute, whose title carries the case number (the others' carry a code)
DISPUTE_KINDS = frozenset(k for k in KINDS if k not in ("application", "home_visit"))
ALL: dict[str, Any] = {
    **TABLES,
    "time": local_time,
    "case_no": case_no,
    "dispute_kinds": DISPUTE_KINDS,
}
