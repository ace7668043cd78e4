"""Board actions always answer: while a case's activity keeps failing, the officer's action
answers 503 naming the failing step (never a hung request), and the chief's cancel takes effect
within seconds instead of queueing behind the failing step."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from services.disputes.models import Case, Task
from tests.disputes.conftest import Service
from tests.disputes.drills import breakable_worker
from tests.helpers import poll
from tests.workflows.disputes.conftest import CHIEF, ROOM, intake, officer
from workflows.disputes import client as dc


async def act(svc: Service, case_id: str, action: str, actor: Any, **payload: Any) -> Any:
    body = {
        "actor": actor.model_dump(mode="json"),
        "idempotency_key": uuid.uuid4().hex,
        "payload": payload,
    }
    return await svc.http.post(f"/internal/v1/cases/{case_id}/actions/{action}", json=body)


async def test_cancel_does_not_queue_behind_a_failing_step(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    queue = f"tq-drill-{uuid.uuid4().hex[:8]}"
    me = officer(ROOM.officer_ids[0])
    async with breakable_worker(client, svc, queue) as acts:
        case_id = await dc.start_case(client, intake(), task_queue=queue)
        handle = client.get_workflow_handle(f"dispute-{case_id}")
        try:
            holder = await poll(lambda: _assignee(svc, case_id), lambda a: a is not None)
            assert holder == me.user_id
            r = await act(svc, case_id, "accept", me)
            assert r.status_code == 200, r.text
            acts.broken.add("screen")
            started = time.monotonic()
            r = await act(
                svc,
                case_id,
                "follow-up",
                me,
                done="上门",
                outcome="progress",
                risk={"threats": True},
            )
            assert r.status_code == 503, r.text
            assert "dispute_screen keeps failing" in r.json()["detail"]
            assert time.monotonic() - started < 20, "the request answered within its deadline"

            started = time.monotonic()
            r = await act(svc, case_id, "cancel", CHIEF, reason="当事人已和解")
            took = time.monotonic() - started
            assert r.status_code == 200, r.text
            assert r.json()["stage"] == "cancelled"
            assert took < 12, f"cancel waited {took:.1f} s behind the failing step"
            await handle.result()
            async with svc.runtime.factory() as s:
                case = await s.get(Case, case_id)
                open_tasks = (
                    await s.scalars(
                        select(Task).where(Task.case_id == case_id, Task.closed_at.is_(None))
                    )
                ).all()
            assert case is not None and case.stage == "cancelled"
            assert open_tasks == []
            assert acts.attempts["screen"] >= 2
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate()


async def _assignee(svc: Service, case_id: str) -> str | None:
    async with svc.runtime.factory() as s:
        case = await s.get(Case, case_id)
    return None if case is None else case.assignee_id
