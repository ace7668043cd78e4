"""A real worker process is SIGKILLed mid-lifecycle and restarted: the case finishes and no
task, timeline row or event is written twice."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from services.disputes.models import Task, TimelineEntry
from tests.faults.procs import ServiceProcess
from tests.workflows.disputes.conftest import Harness, intake, make_dispute_db, officer
from workflows.disputes.config import LIFECYCLE_FILE
from workflows.disputes.types import CaseView


@pytest.fixture
def worker_env(
    tmp_path: Path, temporal_env: WorkflowEnvironment, task_queue: str
) -> dict[str, str]:
    # return visit after ~2 s so the whole lifecycle fits in real time
    lifecycle = tmp_path / "lifecycle.yaml"
    lifecycle.write_text(
        LIFECYCLE_FILE.read_text(encoding="utf-8").replace(
            "return_visit_after_days: 7", "return_visit_after_days: 0.00003"
        ),
        encoding="utf-8",
    )
    return {
        **os.environ,
        "FQ_VAR_DIR": str(tmp_path),
        "FQ_DISPUTES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'disputes.db'}",
        "FQ_DISPUTES_TASK_QUEUE": task_queue,
        "FQ_DISPUTES_LIFECYCLE_FILE": str(lifecycle),
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
    }


@pytest.fixture
def worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    w = ServiceProcess("workflows.disputes.worker", worker_env, tmp_path / "worker.log")
    yield w
    w.stop()


async def test_case_finishes_after_worker_is_killed_twice(
    temporal_env: WorkflowEnvironment,
    worker_env: dict[str, str],
    worker: ServiceProcess,
    task_queue: str,
) -> None:
    factory = await make_dispute_db(worker_env["FQ_DISPUTES_DATABASE_URL"])
    h = Harness(temporal_env.client, None, factory, task_queue)
    worker.start()
    case_id = await h.start(intake())
    v = await h.wait_for(case_id, lambda v: bool(v.assignee_id), timeout=60)
    assert v.assignee_id is not None
    me = officer(v.assignee_id)
    await h.act(case_id, "accept", me, key="a")

    # killed while an officer's update is in flight: the phone retries with the same key
    pending = asyncio.create_task(
        h.act(case_id, "follow-up", me, key="f", done="调解", outcome="settled", helper_ids=["h1"])
    )
    await asyncio.sleep(0.05)
    worker.kill()
    worker.start()
    try:
        await asyncio.wait_for(pending, timeout=60)
    except Exception:
        pending.cancel()
    await h.act(
        case_id, "follow-up", me, key="f", done="调解", outcome="settled", helper_ids=["h1"]
    )
    await h.act(
        case_id, "propose-closure", me, key="p", settlement_kind="withdrawn", summary="撤回"
    )

    # killed again while the return-visit timer runs
    worker.kill()
    await asyncio.sleep(3)
    worker.start()
    await h.wait_for(case_id, lambda v: len(v.open_tasks) == 1, timeout=60)
    v = await h.act(case_id, "return-visit", me, key="r", holds=True)
    assert v.stage == "closed"

    assert await h.timeline(case_id) == [
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
    tasks = await h.tasks(case_id)
    assert [(t.kind, t.closed_at is not None) for t in tasks] == [
        ("accept", True),
        ("return_visit", True),
    ]
    events = Counter(e["routing_key"] for e in await h.events(case_id))
    assert events == {
        "dispute.reported": 1,
        "dispute.screened": 1,
        "dispute.assigned": 1,
        "dispute.accepted": 1,
        "dispute.follow_up_recorded": 1,
        "dispute.closure_proposed": 1,
        "dispute.closed": 1,
        "dispute.return_visit_due": 1,
        "dispute.return_visited": 1,
    }
    assert await h.count(TimelineEntry) == 9
    assert await h.count(Task) == 2
    handle = temporal_env.client.get_workflow_handle(f"dispute-{case_id}", result_type=CaseView)
    result = await handle.result()
    assert result.stage == "closed"
