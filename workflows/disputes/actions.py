"""Officer and supervisor actions, run inside the workflow once the validator accepted them."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

from workflows.disputes import notices
from workflows.disputes.assignment import assign
from workflows.disputes.steps import (
    accept_window,
    apply,
    close_case,
    drop_tasks,
    escalate,
    new_task,
    now,
    regrade,
    rescreen,
    restart_cadence,
    stage_deadline,
)
from workflows.disputes.types import (
    ActionRequest,
    CaseState,
    FollowUpInput,
    LinkPartnerInput,
    PartnerReplyInput,
    PartnerRequest,
    ProposeClosureInput,
    ReassignInput,
    RegradeInput,
    ReturnVisitInput,
    Stage,
    TaskSpec,
)

RED_CLOSURE_PATCH = "red-closure-needs-chief-if-ever-red"
# Since PARTNER_PATCH: a request names its partner organisation (which answers in its own task
# list) and an answer records who gave it. Only requests naming an organisation and answers
# ask for it, so histories recorded before take the old path unchanged.
PARTNER_PATCH = "partner-identity"


async def perform(s: CaseState, req: ActionRequest, payload: BaseModel) -> None:
    actor = req.actor.user_id
    action = req.action
    if action == "accept":
        # the county desk's task (county-escalation-desk) is done once an officer accepts
        closed = drop_tasks(s, "accept", "county_review")
        s.stage = Stage.FOLLOW_UP
        restart_cadence(s)
        await apply(s, "accepted", actor=actor, event="dispute.accepted", close_tasks=closed)
    elif action == "decline":
        reason = str(payload.model_dump()["reason"])
        closed = drop_tasks(s, "accept")
        if s.assignee_id:
            s.excluded.append(s.assignee_id)
        await apply(
            s,
            "declined",
            actor=actor,
            note=reason,
            event="dispute.declined",
            fields={"reason": reason},
            close_tasks=closed,
        )
        await assign(s, reason=f"declined by {actor}")
    elif isinstance(payload, FollowUpInput):
        closed = drop_tasks(s, "follow_up")
        s.helper_ids.extend(h for h in dict.fromkeys(payload.helper_ids) if h not in s.helper_ids)
        restart_cadence(s)
        await apply(
            s,
            "follow_up",
            actor=actor,
            note=payload.done,
            event="dispute.follow_up_recorded",
            fields={"outcome": payload.outcome, "helper_ids": payload.helper_ids},
            close_tasks=closed,
        )
        if payload.risk is not None:
            await rescreen(
                s, payload.risk, reason="re-screened on new facts", by=actor, always=False
            )
    elif isinstance(payload, RegradeInput):
        await regrade(
            s, payload.colour, s.rules_fired, reason=payload.reason, by=actor, previous=s.colour
        )
    elif isinstance(payload, LinkPartnerInput):
        await link_partner(s, payload, actor)
    elif isinstance(payload, PartnerReplyInput):
        await partner_reply(s, payload, req)
    elif isinstance(payload, ProposeClosureInput):
        s.settlement = f"{payload.settlement_kind}: {payload.summary}"
        closed = drop_tasks(s, "follow_up")
        opened = []
        # Since RED_CLOSURE_PATCH: red at any time since it opened needs the chief's approval,
        # whatever its colour now (a regrade to green no longer skips the station chief).
        ever_red = workflow.patched(RED_CLOSURE_PATCH) and any(
            c.colour == "red" for c in s.colour_history
        )
        if s.colour == "red" or ever_red:
            s.stage = Stage.CLOSURE_APPROVAL
            due = now() + timedelta(hours=s.config.closure_approval_hours)
            opened.append(new_task(s, "closure_approval", s.chief_id, due))
        await apply(
            s,
            "closure_proposed",
            actor=actor,
            note=s.settlement,
            event="dispute.closure_proposed",
            fields={"settlement": s.settlement},
            close_tasks=closed,
            open_tasks=opened,
        )
        if s.stage == Stage.FOLLOW_UP:
            await close_case(s, actor=actor, note="")
    elif action == "approve-closure":
        await close_case(s, actor=actor, note=str(payload.model_dump().get("note") or ""))
    elif action == "reject-closure":
        reason = str(payload.model_dump()["reason"])
        closed = drop_tasks(s, "closure_approval")
        s.stage = Stage.FOLLOW_UP
        s.settlement = None
        restart_cadence(s)
        await apply(
            s,
            "closure_rejected",
            actor=actor,
            note=reason,
            event="dispute.closure_rejected",
            fields={"reason": reason},
            close_tasks=closed,
        )
    elif isinstance(payload, ReturnVisitInput):
        await return_visit(s, payload, actor)
    elif isinstance(payload, ReassignInput):
        await reassign(s, payload, actor)
    elif action == "escalate":
        reason = str(payload.model_dump()["reason"])
        await escalate(s, reason, actor=actor, audit="escalate")
    elif action == "cancel":
        reason = str(payload.model_dump()["reason"])
        closed = [t.task_id for t in s.tasks]
        s.tasks = []
        s.stage = Stage.CANCELLED
        await apply(
            s,
            "cancelled",
            actor=actor,
            note=reason,
            event="dispute.cancelled",
            fields={"reason": reason},
            close_tasks=closed,
            audit="cancel",
        )


async def link_partner(s: CaseState, payload: LinkPartnerInput, actor: str) -> None:
    hours = payload.deadline_hours or s.config.linkage_default_hours
    task = new_task(s, "linkage", s.assignee_id, now() + timedelta(hours=hours))
    assert task.due_at is not None
    asked = PartnerRequest(
        request_id=task.task_id,
        partner=payload.partner,
        request=payload.request,
        deadline=task.due_at,
    )
    extra: dict[str, object] = {}
    if payload.partner_code and workflow.patched(PARTNER_PATCH):
        asked.partner_code = task.partner_code = payload.partner_code
        extra = {"partner_code": payload.partner_code, "request_id": task.task_id}
        notices.mark(asked)
    s.partner_requests.append(asked)
    await apply(
        s,
        "partner_requested",
        actor=actor,
        note=payload.request,
        event="dispute.partner_requested",
        fields={"partner": payload.partner, "deadline": task.due_at.isoformat()},
        open_tasks=[task],
        timeline_data=extra,
    )


async def partner_reply(s: CaseState, payload: PartnerReplyInput, req: ActionRequest) -> None:
    asked = next(p for p in s.partner_requests if p.request_id == payload.request_id)
    asked.answer = payload.answer
    s.tasks = [t for t in s.tasks if t.task_id != payload.request_id]
    extra: dict[str, object] = {}
    if (asked.partner_code or req.actor.role == "partner") and workflow.patched(PARTNER_PATCH):
        asked.answered_by = req.actor.user_id
        asked.answered_by_name = req.actor.display_name
        asked.answered_at = now()
        extra = {
            "partner_code": asked.partner_code,
            "by_role": req.actor.role,
            "by_name": req.actor.display_name,
        }
    await apply(
        s,
        "partner_replied",
        actor=req.actor.user_id,
        note=payload.answer,
        event="dispute.partner_replied",
        fields={"partner": asked.partner, "request_id": asked.request_id},
        close_tasks=[payload.request_id],
        timeline_data=extra,
    )


async def return_visit(s: CaseState, payload: ReturnVisitInput, actor: str) -> None:
    closed = drop_tasks(s, "return_visit")
    s.stage = Stage.CLOSED if payload.holds else Stage.FOLLOW_UP
    await apply(
        s,
        "return_visited",
        actor=actor,
        note=payload.note,
        event="dispute.return_visited",
        fields={"holds": payload.holds},
        close_tasks=closed,
    )
    if payload.holds:
        return
    s.settlement = None
    s.return_visit_at = None
    restart_cadence(s)
    reason = payload.note or "the settlement did not hold"
    await apply(
        s, "reopened", actor=actor, note=reason, event="dispute.reopened", fields={"reason": reason}
    )
    risk = (payload.risk or s.risk).model_copy()
    risk.earlier_flare_ups += 1
    await rescreen(s, risk, reason="re-screened on relapse", by=actor, always=True)


async def reassign(s: CaseState, payload: ReassignInput, actor: str) -> None:
    s.assignee_id = payload.officer_id
    opened: list[TaskSpec] = []
    closed: list[str] = []
    reassign_to = None
    if s.stage == Stage.ASSIGNMENT:
        closed = drop_tasks(s, "accept")
        opened.append(new_task(s, "accept", payload.officer_id, now() + accept_window(s)))
    else:
        reassign_to = payload.officer_id
        for t in s.tasks:
            if t.kind not in ("closure_approval", "county_review"):
                t.assignee_id = payload.officer_id
    deadline = stage_deadline(s)
    await apply(
        s,
        "reassigned",
        actor=actor,
        note=payload.reason,
        event="dispute.assigned",
        fields={"deadline": deadline.isoformat() if deadline else None},
        open_tasks=opened,
        close_tasks=closed,
        reassign_to=reassign_to,
        audit="reassign",
    )
