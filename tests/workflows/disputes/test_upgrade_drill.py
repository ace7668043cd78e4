"""The live upgrade drill, on the real dev server: cases are spread over every stage on today's
workflow; that worker stops; a worker of the next release takes over the same task queue. Its
workflow (same name) adds a step after acceptance behind `workflow.patched`, decided when a case
starts and kept in the state: every old case finishes on its old path, every new case takes the
new one, nothing is stuck, and the task projection says what each workflow says.

`make test` runs a small drill (one case per stage); the ~50-case one is marked `soak`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.temporal import dispute_workflow_id
from tests.workflows.disputes.conftest import CHIEF, Harness, intake, make_dispute_db, officer
from tests.workflows.mutants import mutants
from workflows.disputes.activities import DisputeActivities
from workflows.disputes.config import load_lifecycle
from workflows.disputes.screening import load_rules
from workflows.disputes.types import CaseView
from workflows.disputes.workflow import DisputeWorkflow

PATCH = "notify-after-accept"
NEXT_RELEASE = {
    "types": [
        ("    runs: int = 1\n", "    runs: int = 1\n    notify_after_accept: bool = False\n")
    ],
    "workflow": [
        (
            "        await steps.reported(self.s, intake)\n",
            f"        self.s.notify_after_accept = workflow.patched({PATCH!r})\n"
            "        await steps.reported(self.s, intake)\n",
        )
    ],
    "actions": [
        (
            '        await apply(s, "accepted", actor=actor, event="dispute.accepted", '
            "close_tasks=closed)\n",
            '        await apply(s, "accepted", actor=actor, event="dispute.accepted", '
            "close_tasks=closed)\n"
            "        if s.notify_after_accept:\n"
            '            await apply(s, "acceptance_notified", note="the parties were told")\n',
        )
    ],
}
# where each old case stands when the worker stops, and how it is driven there
STAGES = ("assignment", "follow_up", "linkage", "closure_approval", "return_visit", "closed")
Step = Callable[[Harness, str], Awaitable[None]]


async def assignee(h: Harness, case_id: str) -> str:
    v = await h.wait_for(
        case_id, lambda v: bool(v.assignee_id) and v.stage != "screening", timeout=90
    )
    assert v.assignee_id is not None
    return v.assignee_id


async def accept(h: Harness, case_id: str) -> None:
    await h.act(case_id, "accept", officer(await assignee(h, case_id)))


async def propose(h: Harness, case_id: str) -> None:
    me = officer(await assignee(h, case_id))
    await h.act(
        case_id, "propose-closure", me, settlement_kind="mediation_agreement", summary="协议"
    )


async def link(h: Harness, case_id: str) -> None:
    me = officer(await assignee(h, case_id))
    await h.act(
        case_id, "link-partner", me, partner="judicial_office", request="调解", deadline_hours=48
    )


async def drive_to(h: Harness, case_id: str, stage: str) -> None:
    if stage == "assignment":
        await assignee(h, case_id)
        return
    await accept(h, case_id)
    if stage == "linkage":
        await link(h, case_id)
    if stage in ("closure_approval", "return_visit", "closed"):
        await propose(h, case_id)
    if stage == "closed":
        await h.act(case_id, "return-visit", officer(await assignee(h, case_id)), holds=True)


async def finish(h: Harness, case_id: str) -> None:
    """Whatever stage the case is in, take it to closed."""
    await assignee(h, case_id)
    for _ in range(6):
        v = await h.view(case_id)
        me = officer(v.assignee_id or "")
        if v.stage == "closed":
            return
        if v.stage == "assignment":
            await accept(h, case_id)
        elif v.stage == "follow_up":
            for p in v.partner_requests:
                if p.answer is None:
                    await h.act(case_id, "partner-reply", me, request_id=p.request_id, answer="好")
            await propose(h, case_id)
        elif v.stage == "closure_approval":
            await h.act(case_id, "approve-closure", CHIEF)
        elif v.stage == "return_visit":
            await h.act(case_id, "return-visit", me, holds=True)
    raise AssertionError(f"{case_id} not closed: {await h.view(case_id)}")


async def gather(limit: int, jobs: list[Awaitable[None]]) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(j) for j in jobs))


async def drill(env: WorkflowEnvironment, tmp_path: Path, task_queue: str, per_stage: int) -> None:
    factory = await make_dispute_db(f"sqlite+aiosqlite:///{tmp_path / 'disputes.db'}")
    acts = DisputeActivities(factory, load_rules(), load_lifecycle())
    h = Harness(env.client, env, factory, task_queue)
    old: dict[str, str] = {}
    async with Worker(
        env.client, task_queue=task_queue, workflows=[DisputeWorkflow], activities=acts.all()
    ):
        for stage in STAGES:
            for n in range(per_stage):
                risk = {"threats": True} if stage == "closure_approval" else {}
                case_id = await h.start(intake(households=[f"{stage}-{n}"], **risk))
                old[case_id] = stage
        await gather(8, [drive_to(h, c, stage) for c, stage in old.items()])
        for c, stage in old.items():
            want = "follow_up" if stage == "linkage" else stage
            assert (await h.view(c)).stage == want
    # the old release's worker has stopped; the next one takes the same task queue
    (tmp_path / "next").mkdir()
    with mutants(tmp_path / "next") as make:
        next_release = make(NEXT_RELEASE)
        async with Worker(
            env.client, task_queue=task_queue, workflows=[next_release], activities=acts.all()
        ):
            new = [await h.start(intake(households=[f"new-{n}"])) for n in range(per_stage * 2)]
            open_old = [c for c, stage in old.items() if stage != "closed"]
            await gather(8, [finish(h, c) for c in [*open_old, *new]])
            for c in [*old, *new]:
                handle = env.client.get_workflow_handle(
                    dispute_workflow_id(c), result_type=CaseView
                )
                result = await asyncio.wait_for(handle.result(), timeout=30)
                assert result.stage == "closed", c
                v = await h.assert_consistent(c)
                assert (v.stage, v.open_tasks) == ("closed", [])
                assert await h.tasks(c, open_only=True) == []
                kinds = await h.timeline(c)
                if c in old:
                    assert "acceptance_notified" not in kinds, (old[c], kinds)
                else:
                    i = kinds.index("accepted")
                    assert kinds[i + 1] == "acceptance_notified", kinds


async def test_upgrade_drill_one_case_per_stage(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    await drill(temporal_env, tmp_path, task_queue, per_stage=1)


@pytest.mark.soak
async def test_upgrade_drill_fifty_cases(
    temporal_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    await drill(temporal_env, tmp_path, task_queue, per_stage=6)  # 36 old + 12 new
