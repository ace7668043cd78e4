"""Since LOCAL_PATCH a case's short database steps run first as local activities: an officer's
action is answered in the workflow task that received it, and a step that fails goes on as an
ordinary activity, which the stuck board can see, with the flag up after three failures in all."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.temporal import SA_TROUBLE, dispute_workflow_id
from tests.workflows.corpus.disputes import FlakyActivities
from tests.workflows.disputes.conftest import Harness, intake, make_dispute_db, officer
from workflows.disputes.calling import LOCAL_PATCH
from workflows.disputes.screening import load_rules
from workflows.disputes.types import LifecycleConfig
from workflows.disputes.workflow import DisputeWorkflow

E = EventType


async def history(h: Harness, case_id: str) -> list[HistoryEvent]:
    handle = h.client.get_workflow_handle(dispute_workflow_id(case_id))
    return list((await handle.fetch_history()).events)


def scheduled(events: list[HistoryEvent]) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def local_steps(events: list[HistoryEvent]) -> int:
    return sum(
        e.event_type == E.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        for e in events
    )


def between(events: list[HistoryEvent], first: Callable[[HistoryEvent], bool]) -> list[int]:
    """The event types from the first event matching `first` to the next update's completion."""
    start = next(i for i, e in enumerate(events) if first(e))
    end = next(
        i
        for i, e in enumerate(events)
        if i > start and e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    )
    return [e.event_type for e in events[start : end + 1]]


async def test_an_officers_action_is_answered_in_the_task_that_received_it(
    harness: Harness,
) -> None:
    case_id = await harness.start(intake())
    v = await harness.wait_for(case_id, lambda v: bool(v.assignee_id))
    assert v.assignee_id is not None
    v = await harness.act(case_id, "accept", officer(v.assignee_id))
    assert v.stage == "follow_up"
    assert await harness.timeline(case_id) == ["reported", "screened", "assigned", "accepted"]

    events = await history(harness, case_id)
    patches = [
        e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
        for e in events
        if e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert any(LOCAL_PATCH.encode() in p for p in patches)
    # config, register, screen... none went through the server's activity queue
    assert scheduled(events) == []
    assert local_steps(events) >= 5
    accept = between(
        events, lambda e: e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )
    # accepted, recorded and answered with no other workflow task in between
    assert E.EVENT_TYPE_WORKFLOW_TASK_STARTED not in accept
    assert E.EVENT_TYPE_MARKER_RECORDED in accept


async def test_a_failing_step_goes_on_as_an_activity_and_raises_the_flag_after_three(
    time_env: WorkflowEnvironment, lifecycle: LifecycleConfig, sqlite_url: Callable[[str], str]
) -> None:
    """The acceptance's write fails three times: the local attempt, then both attempts of the
    ordinary activity's first leg; the flag goes up, the second leg's first attempt succeeds."""
    factory = await make_dispute_db(sqlite_url("flaky"))
    acts = FlakyActivities(factory, load_rules(), lifecycle)
    acts.failures = 3
    queue = f"tq-flaky-{uuid.uuid4().hex[:8]}"
    h = Harness(time_env.client, time_env, factory, queue)
    async with Worker(
        time_env.client, task_queue=queue, workflows=[DisputeWorkflow], activities=acts.all()
    ):
        case_id = await h.start(intake())
        v = await h.wait_for(case_id, lambda v: bool(v.assignee_id))
        assert v.assignee_id is not None
        v = await h.act(case_id, "accept", officer(v.assignee_id))
        assert v.stage == "follow_up"
        assert acts.failed[case_id] == 3
        events = await history(h, case_id)
        await h.terminate_all()

    assert scheduled(events) == ["dispute_apply", "dispute_apply"]  # the two legs
    first_leg = next(e for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert first_leg.activity_task_scheduled_event_attributes.retry_policy.maximum_attempts == 2
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in events
        if e.event_type == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    trouble = [f[SA_TROUBLE.name].data for f in upserts if SA_TROUBLE.name in f]
    assert trouble[0] == b'"apply"'  # raised once, lowered once (an unset value is empty)
    assert [t in (b"", b"null") for t in trouble] == [False, True]
    assert await h.timeline(case_id) == ["reported", "screened", "assigned", "accepted"]
