"""A long case continues as new without losing state, open tasks, timers or idempotency keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflows.disputes.conftest import Harness, intake, officer
from workflows.disputes.config import load_lifecycle
from workflows.disputes.types import LifecycleConfig


@pytest.fixture
def lifecycle() -> LifecycleConfig:
    return load_lifecycle().model_copy(update={"continue_as_new_after_events": 60})


@pytest.mark.record_history
async def test_case_continues_as_new_and_keeps_everything(harness: Harness) -> None:
    case_id = await harness.start(intake())
    v = await harness.wait_for(case_id, lambda v: bool(v.assignee_id))
    assert v.assignee_id is not None
    me = officer(v.assignee_id)
    await harness.act(case_id, "accept", me)
    v = await harness.act(
        case_id,
        "link-partner",
        me,
        partner="village_committee",
        request="村委会",
        deadline_hours=48,
    )
    for n in range(12):
        await harness.act(
            case_id, "follow-up", me, key=f"fu-{n}", done=f"visit {n}", outcome="progress"
        )
    v = await harness.wait_for(case_id, lambda v: v.runs >= 2)
    assert v.partner_requests[0].answer is None
    assert v.next_follow_up_at is not None
    # a retry of a request applied in the first run still acts once
    await harness.act(case_id, "follow-up", me, key="fu-0", done="visit 0", outcome="progress")
    assert (await harness.timeline(case_id)).count("follow_up") == 12
    # the partner deadline and the follow-up cadence set in the first run still fire
    await harness.sleep(timedelta(days=7, minutes=5))
    v = await harness.wait_for(
        case_id, lambda v: v.partner_requests[0].escalated and len(v.open_tasks) == 2
    )
    open_kinds = sorted(t.kind for t in await harness.tasks(case_id, open_only=True))
    assert open_kinds == ["follow_up", "linkage"]
    v = await harness.act(
        case_id, "propose-closure", me, settlement_kind="withdrawn", summary="撤回"
    )
    assert v.stage == "return_visit"
    assert await harness.tasks(case_id, open_only=True) == []
    seqs = await harness.timeline(case_id)
    assert seqs.count("escalated") == 1
