"""The door-to-door workflow on the time-skipping server: assignment, scheduling, done,
deadlines escalating to the station chief, and refused actions with their reasons."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from shared.temporal import SA_ASSIGNEE, SA_KIND, SA_STAGE, home_visit_workflow_id
from workflows.home_visits import client as wf
from workflows.home_visits.types import (
    Assignment,
    CancelInput,
    DoneInput,
    ScheduleInput,
    VisitChange,
    VisitInput,
    VisitState,
)
from workflows.home_visits.worker import build_worker

OFFICER, CHIEF, STATION, JIANGHE = "off-0001", "chief-SYZ01", "SYZ01", "VYZ0101"


class MemoryStore:
    def __init__(self) -> None:
        self.changes: list[VisitChange] = []

    async def apply(self, change: VisitChange) -> None:
        self.changes.append(change)

    async def assignment(self, village_code: str | None) -> Assignment:
        if village_code == JIANGHE:
            return Assignment(OFFICER, STATION, CHIEF)
        return Assignment(None, None, None)

    def events(self) -> list[str]:
        return [c.event for c in self.changes]


@pytest.fixture
async def running(
    time_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[tuple[Client, MemoryStore, Callable[[], str]]]:
    store = MemoryStore()
    client = time_env.client
    async with build_worker(client, task_queue, store):

        def start() -> str:
            return uuid.uuid4().hex[:8]

        yield client, store, start


async def begin(client: Client, task_queue: str, store: MemoryStore) -> str:
    visit_id = "H" + uuid.uuid4().hex[:8]
    await wf.start_visit(
        client,
        VisitInput(
            visit_id=visit_id,
            resident_id="res-demo-0001",
            service_code="hukou",
            village_code=JIANGHE,
        ),
        task_queue=task_queue,
    )
    for _ in range(200):
        if store.events()[:1] == ["assigned"]:
            return visit_id
        await asyncio.sleep(0.05)
    raise AssertionError("the visit was not assigned")


async def now(env: WorkflowEnvironment) -> datetime:
    return await env.get_current_time()


async def test_visit_is_assigned_scheduled_and_done(
    time_env: WorkflowEnvironment, task_queue: str, running: tuple[Client, MemoryStore, object]
) -> None:
    client, store, _ = running
    start = await now(time_env)
    vid = await begin(client, task_queue, store)
    first = store.changes[0]
    assert (first.officer_id, first.station_code, first.stage) == (OFFICER, STATION, "assigned")
    assert first.due_at is not None
    assert abs((first.due_at - start) - timedelta(hours=48)) < timedelta(minutes=1)
    when = start + timedelta(days=1)
    state = await wf.schedule_visit(client, vid, ScheduleInput(scheduled_at=when, actor_id=OFFICER))
    assert (state.stage, state.scheduled_at, state.deadline) == (
        "scheduled",
        when,
        when + timedelta(hours=24),
    )
    handle = client.get_workflow_handle(home_visit_workflow_id(vid), result_type=VisitState)
    attrs = (await handle.describe()).typed_search_attributes
    assert (attrs.get(SA_KIND), attrs.get(SA_STAGE), attrs.get(SA_ASSIGNEE)) == (
        "home_visit",
        "scheduled",
        OFFICER,
    )
    done = await wf.visit_done(client, vid, DoneInput(actor_id=OFFICER, note="材料已收"))
    assert done.stage == "done"
    result: VisitState = await handle.result()
    assert (result.stage, result.escalated) == ("done", False)
    assert store.events() == ["assigned", "scheduled", "done"]
    assert [c.seq for c in store.changes] == [1, 2, 3]


async def test_unscheduled_visit_escalates_to_the_station_chief(
    time_env: WorkflowEnvironment, task_queue: str, running: tuple[Client, MemoryStore, object]
) -> None:
    client, store, _ = running
    vid = await begin(client, task_queue, store)
    await time_env.sleep(timedelta(hours=47))
    assert store.events() == ["assigned"]
    await time_env.sleep(timedelta(hours=2))
    for _ in range(100):
        if "escalated" in store.events():
            break
        await asyncio.sleep(0.05)
    esc = store.changes[-1]
    assert (esc.event, esc.officer_id, esc.reason, esc.escalated) == (
        "escalated",
        CHIEF,
        "not scheduled in time",
        True,
    )
    assert esc.due_at is not None
    assert abs(esc.due_at - (esc.at + timedelta(hours=24))) < timedelta(seconds=1)
    state = await wf.visit_state(client, vid)
    assert (state.officer_id, state.escalated) == (CHIEF, True)
    # escalated once per stage: more waiting does not escalate again
    await time_env.sleep(timedelta(days=3))
    assert store.events().count("escalated") == 1
    with pytest.raises(wf.VisitRefused, match="only the assigned officer or the station chief"):
        await wf.schedule_visit(
            client,
            vid,
            ScheduleInput(
                scheduled_at=await now(time_env) + timedelta(hours=5), actor_id="off-0002"
            ),
        )
    when = await now(time_env) + timedelta(hours=5)
    state = await wf.schedule_visit(client, vid, ScheduleInput(scheduled_at=when, actor_id=CHIEF))
    assert state.stage == "scheduled"
    await time_env.sleep(timedelta(hours=30))  # not done by the visit time + 24 h
    for _ in range(100):
        if store.events().count("escalated") == 2:
            break
        await asyncio.sleep(0.05)
    assert store.changes[-1].reason == "visit not done in time"
    await wf.cancel_visit(client, vid, CancelInput(actor_id=CHIEF, reason="居民已搬走"))
    assert store.events()[-1] == "cancelled"


async def test_wrong_actions_are_refused_with_a_reason(
    time_env: WorkflowEnvironment, task_queue: str, running: tuple[Client, MemoryStore, object]
) -> None:
    client, store, _ = running
    vid = await begin(client, task_queue, store)
    with pytest.raises(wf.VisitRefused, match="schedule it before marking it done"):
        await wf.visit_done(client, vid, DoneInput(actor_id=OFFICER))
    past = await now(time_env) - timedelta(hours=1)
    with pytest.raises(wf.VisitRefused, match="must be in the future"):
        await wf.schedule_visit(client, vid, ScheduleInput(scheduled_at=past, actor_id=OFFICER))
    when = await now(time_env) + timedelta(hours=3)
    await wf.schedule_visit(client, vid, ScheduleInput(scheduled_at=when, actor_id=OFFICER))
    with pytest.raises(wf.VisitRefused, match="not waiting to be scheduled"):
        await wf.schedule_visit(client, vid, ScheduleInput(scheduled_at=when, actor_id=OFFICER))
    with pytest.raises(wf.VisitRefused, match="say why the visit is moved"):
        await wf.reschedule_visit(
            client, vid, ScheduleInput(scheduled_at=when + timedelta(days=1), actor_id=OFFICER)
        )
    moved = await wf.reschedule_visit(
        client,
        vid,
        ScheduleInput(scheduled_at=when + timedelta(days=1), actor_id=OFFICER, reason="下雪路滑"),
    )
    assert moved.deadline == when + timedelta(days=2)
    assert store.events() == ["assigned", "scheduled", "rescheduled"]
    assert store.changes[-1].reason == "下雪路滑"
    await wf.visit_done(client, vid, DoneInput(actor_id=OFFICER))
    with pytest.raises(wf.VisitRefused):
        await wf.cancel_visit(client, vid, CancelInput(actor_id=OFFICER, reason="x"))
