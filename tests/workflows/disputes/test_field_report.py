"""A case reported earlier in the field: staff only, within limits, and its follow-up schedule
counts from the field report, so a long-known case is overdue as soon as it is accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.workflows.disputes.conftest import Harness, intake, officer
from workflows.disputes.client import FIELD_REPORT_MAX_DAYS, field_report_problem


def staff_intake(at: datetime | None, **risk: object):  # type: ignore[no-untyped-def]
    return intake(**risk).model_copy(
        update={"reporter_kind": "officer", "reporter_id": "off-0001", "reported_in_field_at": at}
    )


def test_field_report_time_is_checked_at_the_door() -> None:
    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    assert field_report_problem(staff_intake(None), now=now) is None
    assert field_report_problem(staff_intake(now - timedelta(days=3)), now=now) is None
    assert field_report_problem(staff_intake(now + timedelta(minutes=5)), now=now) == (
        "must not be in the future"
    )
    too_old = now - timedelta(days=FIELD_REPORT_MAX_DAYS, minutes=1)
    assert field_report_problem(staff_intake(too_old), now=now) == (
        f"at most {FIELD_REPORT_MAX_DAYS} days back"
    )
    naive = datetime(2026, 5, 30, 8)
    assert field_report_problem(staff_intake(naive), now=now) == "give the time with its time zone"
    resident = intake().model_copy(update={"reported_in_field_at": now - timedelta(days=1)})
    assert field_report_problem(resident, now=now) == (
        "only staff may record a case reported earlier in the field"
    )


@pytest.mark.record_history
async def test_field_reported_case_is_overdue_for_its_first_visit_once_accepted(
    harness: Harness,
) -> None:
    field_at = datetime.now(UTC) - timedelta(days=6)
    case_id = await harness.start(staff_intake(field_at, minors_involved=True))  # yellow
    v = await harness.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))
    assert v.colour == "yellow"
    # acceptance is about the system's assignment, which happens now: not late
    assert v.stage_deadline is not None and v.stage_deadline > datetime.now(UTC)
    assert v.assignee_id is not None
    await harness.act(case_id, "accept", officer(v.assignee_id))
    # yellow: a visit every 3 days, 24 h grace -> due 3 days after the field report, late since 2
    v = await harness.wait_for(case_id, lambda v: len(v.open_tasks) == 1)
    assert v.next_follow_up_at is not None
    assert abs(v.next_follow_up_at - (field_at + timedelta(days=3))) < timedelta(seconds=1)
    assert v.stage_deadline is not None
    assert abs(v.stage_deadline - (field_at + timedelta(days=4))) < timedelta(seconds=1)
    for _ in range(100):
        kinds = await harness.timeline(case_id)
        if "escalated" in kinds:
            break
        await harness.sleep(timedelta(seconds=1))
    assert kinds[-2:] == ["follow_up_due", "escalated"]
    async_case = await harness.assert_consistent(case_id)
    assert async_case.stage == "follow_up"
    (task,) = await harness.tasks(case_id, open_only=True)
    assert task.kind == "follow_up"


async def test_case_without_field_report_keeps_its_cadence_from_acceptance(
    harness: Harness,
) -> None:
    case_id = await harness.start(staff_intake(None, minors_involved=True))
    v = await harness.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))
    assert v.assignee_id is not None
    before = datetime.now(UTC)
    v = await harness.act(case_id, "accept", officer(v.assignee_id))
    assert v.next_follow_up_at is not None and v.next_follow_up_at > before + timedelta(days=2)
    assert v.open_tasks == []
