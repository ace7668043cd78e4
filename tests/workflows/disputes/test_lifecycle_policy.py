"""Lifecycle deadlines as data, on the time-skipping server: a case reported after an
administrator saved a new version follows its cadence; a case reported before keeps the
installation's, however long it runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.disputes import lifecycle_policy as lp
from shared.db import transaction
from tests.workflows.disputes.conftest import Harness, intake, officer
from workflows.disputes import client as dc
from workflows.disputes.types import LifecycleConfig

# green: a visit every 2 days (the file: 7), 12 hours' grace (the file: 48)
FASTER = {
    "follow_up_every_days": {"red": 1, "yellow": 2, "green": 2},
    "follow_up_grace_hours": {"red": 12, "yellow": 12, "green": 12},
}


async def now(h: Harness) -> datetime:
    assert h.env is not None
    return await h.env.get_current_time()


async def start_and_accept(h: Harness, household: str) -> tuple[str, datetime]:
    """A case reported now with the deadlines the disputes service gives a new case, accepted
    by its officer; and when it was accepted."""
    async with h.factory() as s:
        lifecycle = await lp.for_new_case(s)
    case_id = await dc.start_case(
        h.client, intake(households=[household]), task_queue=h.task_queue, lifecycle=lifecycle
    )
    h.started.append(case_id)
    v = await h.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))
    assert v.colour == "green" and v.assignee_id is not None
    at = await now(h)
    await h.act(case_id, "accept", officer(v.assignee_id))
    return case_id, at


async def next_visit_after(h: Harness, case_id: str, accepted: datetime) -> timedelta:
    v = await h.view(case_id)
    assert v.next_follow_up_at is not None
    return v.next_follow_up_at - accepted


async def test_a_new_version_reaches_new_cases_and_running_ones_keep_theirs(
    harness: Harness, lifecycle: LifecycleConfig
) -> None:
    h = harness
    before, before_at = await start_and_accept(h, "hh-before")
    async with transaction(h.factory) as s:
        values = lp.file_deadlines(lifecycle).model_dump() | FASTER
        saved = await lp.save(
            s,
            values=lp.check_deadlines(values),
            author_id="admin",
            reason="绿色案件两天一访",
            now=await now(h),
        )
    assert saved.version == 1
    after, after_at = await start_and_accept(h, "hh-after")
    assert abs(await next_visit_after(h, after, after_at) - timedelta(days=2)) < timedelta(
        minutes=1
    )
    assert abs(await next_visit_after(h, before, before_at) - timedelta(days=7)) < timedelta(
        minutes=1
    )

    await h.sleep(timedelta(days=2, hours=13))  # the new case's visit is due, and late
    await h.wait_for(after, lambda v: len(v.open_tasks) == 1)
    (task,) = await h.tasks(after, open_only=True)
    assert task.due_at is not None
    assert (task.kind, task.due_at - task.opened_at) == ("follow_up", timedelta(hours=12))
    for _ in range(50):
        if "escalated" in await h.timeline(after):
            break
        await h.sleep(timedelta(seconds=1))
    assert (await h.timeline(after))[-2:] == ["follow_up_due", "escalated"]
    assert "follow_up_due" not in await h.timeline(before)
    assert (await h.view(before)).open_tasks == []

    await h.sleep(timedelta(days=4, hours=12))  # day 7: the old case's visit is due
    await h.wait_for(before, lambda v: len(v.open_tasks) == 1)
    (task,) = await h.tasks(before, open_only=True)
    assert task.due_at is not None
    assert (task.kind, task.due_at - task.opened_at) == ("follow_up", timedelta(hours=48))
    assert "escalated" not in await h.timeline(before)
