"""Every path of the dispute lifecycle on the time-skipping server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from shared.temporal import dispute_workflow_id
from tests.workflows.disputes.conftest import CHIEF, ROOM, Harness, intake, officer
from workflows.disputes.client import ActionRefused, bulk_reassign
from workflows.disputes.types import ActionRequest, CaseView


async def assigned(h: Harness, case_id: str) -> CaseView:
    return await h.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))


async def accepted(h: Harness, **risk: object) -> tuple[str, str]:
    case_id = await h.start(intake(**risk))
    v = await assigned(h, case_id)
    assert v.assignee_id is not None
    await h.act(case_id, "accept", officer(v.assignee_id))
    return case_id, v.assignee_id


@pytest.mark.record_history
async def test_green_case_accept_follow_up_close_return_visit(harness: Harness) -> None:
    case_id = await harness.start(intake())
    v = await assigned(harness, case_id)
    assert (v.colour, v.rules_fired) == ("green", [])
    assert v.assignee_id == ROOM.officer_ids[0]
    me = officer(v.assignee_id)
    v = await harness.act(case_id, "accept", me)
    assert v.stage == "follow_up"
    await harness.act(
        case_id, "follow-up", me, done="调解", outcome="settled", helper_ids=["res-0002"]
    )
    v = await harness.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="签订协议"
    )
    assert v.stage == "return_visit"
    await harness.sleep(timedelta(days=7, minutes=1))
    await harness.wait_for(case_id, lambda v: len(v.open_tasks) == 1)
    v = await harness.act(case_id, "return-visit", me, holds=True)
    assert v.stage == "closed"
    assert await harness.timeline(case_id) == [
        "reported",
        "screened",
        "assigned",
        "accepted",
        "follow_up",
        "closure_proposed",
        "closed",
        "return_visit_due",
        "return_visited",
    ]
    closed = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.closed"]
    assert [e["helper_ids"] for e in closed] == [["res-0002"]]
    assert await harness.tasks(case_id, open_only=True) == []
    await harness.assert_consistent(case_id)


@pytest.mark.record_history
async def test_threats_grade_red_and_red_closure_needs_approval(harness: Harness) -> None:
    case_id, me_id = await accepted(harness, threats=True, minors_involved=True)
    me = officer(me_id)
    v = await harness.view(case_id)
    assert v.colour == "red"
    assert v.rules_fired == ["threats", "minors_involved"]
    v = await harness.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="和解"
    )
    assert v.stage == "closure_approval"
    [approval] = await harness.tasks(case_id, open_only=True)
    assert (approval.kind, approval.assignee_id) == ("closure_approval", CHIEF.user_id)
    with pytest.raises(ActionRefused, match="only the station chief of SYZ01 may approve-closure"):
        await harness.act(case_id, "approve-closure", me)
    v = await harness.act(case_id, "reject-closure", CHIEF, reason="协议未签字")
    assert v.stage == "follow_up"
    assert v.settlement is None
    await harness.act(case_id, "propose-closure", me, settlement_kind="referral", summary="转法院")
    v = await harness.act(case_id, "approve-closure", CHIEF)
    assert v.stage == "return_visit"
    assert v.settlement == "referral: 转法院"
    kinds = await harness.timeline(case_id)
    assert kinds[-4:] == ["closure_proposed", "closure_rejected", "closure_proposed", "closed"]
    await harness.assert_consistent(case_id)


async def test_override_needs_a_reason_and_history_is_kept(harness: Harness) -> None:
    case_id, _ = await accepted(harness)
    handle = harness.client.get_workflow_handle(dispute_workflow_id(case_id))
    for payload, message in [
        ({"colour": "red"}, "invalid regrade: reason: Field required"),
        (
            {"colour": "red", "reason": "  "},
            "invalid regrade: reason: Value error, must not be blank",
        ),
    ]:
        with pytest.raises(Exception) as err:
            await handle.execute_update(
                "act",
                ActionRequest(
                    action="regrade", payload=payload, actor=CHIEF, idempotency_key=message
                ),
            )
        assert message in str(err.value.__cause__)
    v = await harness.act(case_id, "regrade", CHIEF, colour="red", reason="当事人扬言报复")
    assert v.colour == "red"
    assert [(c.previous, c.colour, c.reason) for c in v.colour_history] == [
        (None, "green", "intake screening (0 earlier household cases)"),
        ("green", "red", "当事人扬言报复"),
    ]
    assert v.colour_history[-1].by == CHIEF.user_id


@pytest.mark.record_history
async def test_decline_reassigns_to_the_other_room_officer(harness: Harness) -> None:
    case_id = await harness.start(intake())
    v = await assigned(harness, case_id)
    first = v.assignee_id
    assert first is not None
    with pytest.raises(
        ActionRefused, match="invalid decline: reason: Value error, must not be blank"
    ):
        await harness.act(case_id, "decline", officer(first), reason=" ")
    v = await harness.act(case_id, "decline", officer(first), reason="休假")
    assert v.stage == "assignment"
    assert v.assignee_id == ROOM.officer_ids[1] != first
    tasks = await harness.tasks(case_id)
    assert [(t.kind, t.assignee_id, t.closed_at is None) for t in tasks] == [
        ("accept", first, False),
        ("accept", ROOM.officer_ids[1], True),
    ]
    declined = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.declined"]
    assert [e["reason"] for e in declined] == ["休假"]
    await harness.assert_consistent(case_id)


@pytest.mark.record_history
async def test_acceptance_deadline_breach_escalates_and_reassigns(harness: Harness) -> None:
    case_id = await harness.start(intake())
    v = await assigned(harness, case_id)
    first = v.assignee_id
    await harness.sleep(timedelta(hours=23, minutes=50))
    assert (await harness.view(case_id)).assignee_id == first
    await harness.sleep(timedelta(minutes=15))
    v = await harness.wait_for(case_id, lambda v: v.assignee_id != first)
    assert v.assignee_id == ROOM.officer_ids[1]
    esc = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.escalated"]
    assert [(e["reason"], e["chief_id"]) for e in esc] == [
        ("not accepted within 1440 minutes", CHIEF.user_id)
    ]
    await harness.assert_consistent(case_id)


@pytest.mark.record_history
async def test_follow_up_cadence_follows_the_colour(harness: Harness) -> None:
    case_id, me_id = await accepted(harness)
    me = officer(me_id)
    await harness.sleep(timedelta(days=7, minutes=1))
    await harness.wait_for(case_id, lambda v: len(v.open_tasks) == 1)
    await harness.act(
        case_id, "follow-up", me, done="走访", outcome="worse", risk={"weapons": True}
    )
    v = await harness.view(case_id)
    assert (v.colour, v.rules_fired) == ("red", ["weapons"])
    await harness.sleep(timedelta(days=1, minutes=1))
    await harness.wait_for(case_id, lambda v: len(v.open_tasks) == 1)
    tasks = [t for t in await harness.tasks(case_id) if t.kind == "follow_up"]
    accepted_at = next(t for t in await harness.tasks(case_id) if t.kind == "accept").closed_at
    assert accepted_at is not None
    green_gap = tasks[0].opened_at - accepted_at
    red_gap = tasks[1].opened_at - tasks[0].closed_at  # type: ignore[operator]
    assert timedelta(days=7) <= green_gap < timedelta(days=7, minutes=5)
    assert timedelta(days=1) <= red_gap < timedelta(days=1, minutes=5)
    assert tasks[1].due_at - tasks[1].opened_at == timedelta(hours=12)  # type: ignore[operator]
    await harness.assert_consistent(case_id)


async def test_missed_follow_up_escalates(harness: Harness) -> None:
    case_id, _ = await accepted(harness, minors_involved=True)
    await harness.sleep(timedelta(days=3, minutes=1))
    await harness.wait_for(case_id, lambda v: len(v.open_tasks) == 1)
    await harness.sleep(timedelta(hours=24, minutes=1))
    await harness.wait_for(case_id, lambda v: v.history_length > 0)
    kinds = await harness.timeline(case_id)
    for _ in range(100):
        if "escalated" in kinds:
            break
        await asyncio.sleep(0.05)
        kinds = await harness.timeline(case_id)
    assert kinds[-2:] == ["follow_up_due", "escalated"]
    esc = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.escalated"]
    assert esc[0]["reason"].startswith("follow_up overdue since")
    await harness.assert_consistent(case_id)


@pytest.mark.record_history
async def test_overdue_linkage_escalates(harness: Harness) -> None:
    case_id, me_id = await accepted(harness)
    me = officer(me_id)
    v = await harness.act(
        case_id,
        "link-partner",
        me,
        partner="judicial_office",
        request="请司法所调解",
        deadline_hours=24,
    )
    v = await harness.act(
        case_id,
        "link-partner",
        me,
        partner="womens_federation",
        request="妇联介入",
        deadline_hours=48,
    )
    _, second = v.partner_requests
    await harness.act(case_id, "partner-reply", me, request_id=second.request_id, answer="已介入")
    await harness.sleep(timedelta(hours=24, minutes=1))
    v = await harness.wait_for(case_id, lambda v: v.partner_requests[0].escalated)
    assert [p.escalated for p in v.partner_requests] == [True, False]
    assert v.partner_requests[1].answer == "已介入"
    with pytest.raises(ActionRefused, match="no open partner request"):
        await harness.act(case_id, "partner-reply", me, request_id=second.request_id, answer="x")
    esc = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.escalated"]
    assert len(esc) == 1 and esc[0]["reason"].startswith("linkage overdue")
    await harness.assert_consistent(case_id)


@pytest.mark.record_history
async def test_relapse_reopens_with_fresh_screening_and_credits_helpers_once(
    harness: Harness,
) -> None:
    case_id, me_id = await accepted(harness)
    me = officer(me_id)
    await harness.act(case_id, "follow-up", me, done="a", outcome="progress", helper_ids=["h1"])
    await harness.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="协议"
    )
    await harness.sleep(timedelta(days=7, minutes=1))
    await harness.wait_for(case_id, lambda v: len(v.open_tasks) == 1)
    v = await harness.act(case_id, "return-visit", me, holds=False, note="又吵起来了")
    assert v.stage == "follow_up"
    assert (v.colour, v.rules_fired) == ("yellow", ["earlier_flare_up"])
    assert v.colour_history[-1].reason == "re-screened on relapse"
    await harness.act(
        case_id, "follow-up", me, done="b", outcome="settled", helper_ids=["h1", "h2"]
    )
    await harness.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="再次协议"
    )
    closed = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.closed"]
    assert [e["helper_ids"] for e in closed] == [["h1"], ["h2"]]
    reopened = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.reopened"]
    assert [e["reason"] for e in reopened] == ["又吵起来了"]
    await harness.assert_consistent(case_id)


async def test_refused_updates_say_why_and_change_nothing(harness: Harness) -> None:
    case_id = await harness.start(intake())
    v = await assigned(harness, case_id)
    assert v.assignee_id is not None
    me = officer(v.assignee_id)
    before = await harness.timeline(case_id)
    with pytest.raises(ActionRefused, match=r"^follow-up is not allowed in stage assignment$"):
        await harness.act(case_id, "follow-up", me, done="x", outcome="progress")
    with pytest.raises(ActionRefused, match=r"^only the assigned officer may accept this case$"):
        await harness.act(case_id, "accept", officer("off-0999"))
    other_chief = CHIEF.model_copy(update={"user_id": "chief-SXJ12", "station_code": "SXJ12"})
    with pytest.raises(ActionRefused, match=r"^only the station chief of SYZ01 may cancel$"):
        await harness.act(case_id, "cancel", other_chief, reason="x")
    assert await harness.timeline(case_id) == before


async def test_retried_action_with_same_key_acts_once(harness: Harness) -> None:
    case_id, me_id = await accepted(harness)
    me = officer(me_id)
    for _ in range(3):
        await harness.act(case_id, "follow-up", me, key="phone-1", done="x", outcome="progress")
    assert (await harness.timeline(case_id)).count("follow_up") == 1
    recorded = [
        e for e in await harness.events(case_id) if e["routing_key"] == "dispute.follow_up_recorded"
    ]
    assert len(recorded) == 1


@pytest.mark.record_history
async def test_supervisor_reassign_and_cancel_are_audited(harness: Harness) -> None:
    from sqlalchemy import select

    from services.disputes.models import AuditEntry

    case_id, _ = await accepted(harness)
    v = await harness.act(case_id, "reassign", CHIEF, officer_id="off-0063", reason="减负")
    assert v.assignee_id == "off-0063"
    v = await harness.act(case_id, "cancel", CHIEF, reason="重复登记")
    assert v.stage == "cancelled"
    async with harness.factory() as s:
        rows = (await s.execute(select(AuditEntry).where(AuditEntry.case_id == case_id))).scalars()
        assert [(a.action, a.actor_id, a.reason) for a in rows] == [
            ("reassign", CHIEF.user_id, "减负"),
            ("cancel", CHIEF.user_id, "重复登记"),
        ]
    assert await harness.tasks(case_id, open_only=True) == []
    await harness.assert_consistent(case_id)


async def test_household_history_counts_in_screening(harness: Harness) -> None:
    grades = []
    for _ in range(3):
        case_id = await harness.start(intake(households=["hh-9", "hh-10"]))
        v = await assigned(harness, case_id)
        grades.append((v.colour, v.rules_fired))
    assert grades == [
        ("green", []),
        ("yellow", ["household_earlier_case"]),
        ("red", ["household_repeat_cases", "household_earlier_case"]),
    ]
    other = await harness.start(intake(households=["hh-11"]))
    assert (await assigned(harness, other)).colour == "green"


async def test_bulk_reassign_acts_per_case_and_reports_refusals(harness: Harness) -> None:
    first, _ = await accepted(harness)
    second, _ = await accepted(harness)
    await harness.act(second, "cancel", CHIEF, reason="重复")
    results = await bulk_reassign(
        harness.client,
        [first, second],
        officer_id="off-0063",
        reason="民警调岗",
        actor=CHIEF,
        idempotency_key="bulk-1",
    )
    assert results == {first: None, second: "reassign is not allowed in stage cancelled"}
    assert (await harness.view(first)).assignee_id == "off-0063"
    again = await bulk_reassign(
        harness.client,
        [first],
        officer_id="off-0063",
        reason="民警调岗",
        actor=CHIEF,
        idempotency_key="bulk-1",
    )
    assert again == {first: None}
    assert (await harness.timeline(first)).count("reassigned") == 1


async def test_assignment_picks_the_least_loaded_room_officer(harness: Harness) -> None:
    a, b = ROOM.officer_ids
    picks = []
    for n, risk in enumerate([{"threats": True}, {}, {}, {}]):
        case_id = await harness.start(intake(households=[f"load-{n}"], **risk))
        picks.append((await assigned(harness, case_id)).assignee_id)
    # red weighs 3: after a red case for a, b takes green cases until b's load passes 3
    assert picks == [a, b, b, b]
    case_id = await harness.start(intake(households=["load-9"]))
    assert (await assigned(harness, case_id)).assignee_id == a
