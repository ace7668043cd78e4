"""Drills of the board's repairs on the real Temporal server: an activity that keeps raising is
paused, the cause fixed, resumed, and the case goes on; a workflow whose task keeps failing
after a bad deploy is reset to its last good point and finishes on the fixed code. Each repair
is audited; nothing is applied twice."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.disputes.models import AuditEntry
from shared.temporal import SA_KIND, SA_STATION, dispute_workflow_id
from tests.disputes.conftest import Service
from tests.disputes.drills import breakable_worker
from tests.disputes.test_board_actions_answer import act
from tests.helpers import poll
from tests.workflows.disputes.conftest import CHIEF, ROOM, intake, officer
from workflows.disputes import client as dc


async def repair(svc: Service, name: str, case_id: str, reason: str) -> Any:
    return await svc.http.post(
        f"/internal/v1/supervision/repair/{name}/{case_id}",
        json={"actor_id": CHIEF.user_id, "reason": reason},
    )


async def view_of(client: Any, case_id: str) -> Any:
    try:
        return await dc.view(client, case_id)
    except WorkflowQueryFailedError:  # still being registered
        return None


async def audits(svc: Service, case_id: str) -> list[str]:
    async with svc.runtime.factory() as s:
        rows = await s.scalars(
            select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        )
        return list(rows.all())


async def test_pause_fix_resume_a_failing_activity(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    queue = f"tq-pause-{uuid.uuid4().hex[:8]}"
    me = officer(ROOM.officer_ids[0])
    async with breakable_worker(client, svc, queue) as acts:
        case_id = await dc.start_case(client, intake(), task_queue=queue)
        handle = client.get_workflow_handle(dispute_workflow_id(case_id))
        try:
            await poll(
                lambda: view_of(client, case_id), lambda v: v and v.assignee_id == me.user_id
            )
            assert (await act(svc, case_id, "accept", me)).status_code == 200
            acts.broken.add("screen")
            r = await act(
                svc, case_id, "follow-up", me, done="上门", outcome="worse", risk={"weapons": True}
            )
            assert r.status_code == 503, r.text

            r = await repair(svc, "pause", case_id, "规则文件损坏，先暂停")
            assert r.status_code == 200, r.text
            assert r.json()["activities"] == 1

            async def paused() -> bool:
                desc = await handle.describe()
                return all(pa.paused for pa in desc.raw_description.pending_activities)

            await poll(paused, bool)
            tried = acts.attempts["screen"]
            acts.broken.clear()  # the rules file is fixed
            r = await repair(svc, "resume", case_id, "规则文件已修复")
            assert r.status_code == 200, r.text
            v = await poll(lambda: view_of(client, case_id), lambda v: v and v.colour == "red")
            assert v.rules_fired == ["weapons"]
            assert acts.attempts["screen"] >= tried + 1
            assert await audits(svc, case_id) == ["pause", "resume"]
            case = (await svc.http.get(f"/internal/v1/cases/{case_id}")).json()
            repairs = [
                (e["kind"], e["actor_id"], e["note"])
                for e in case["timeline"]
                if e["kind"].startswith("repair_")
            ]
            assert repairs == [
                ("repair_pause", CHIEF.user_id, "规则文件损坏，先暂停"),
                ("repair_resume", CHIEF.user_id, "规则文件已修复"),
            ]
            kinds = [e["kind"] for e in case["timeline"]]
            assert kinds.index("accepted") < kinds.index("repair_pause"), "in time order"
            r = await repair(svc, "resume", case_id, "again")
            assert r.status_code == 409
        finally:
            await handle.terminate()


BAD_DEPLOY = {"on": True}


@workflow.defn(name="DrillDispute", sandboxed=False)
class DrillDispute:
    """First step fine; the next one raises while the bad deploy is live."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.1)
        if BAD_DEPLOY["on"]:
            raise RuntimeError("a bug in the new deploy")
        return "done"


async def test_reset_to_the_last_good_point_after_a_bad_deploy(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    case_id = uuid.uuid4().hex[:16]
    queue = f"tq-reset-{uuid.uuid4().hex[:8]}"
    attrs = TypedSearchAttributes(
        [SearchAttributePair(SA_KIND, "dispute"), SearchAttributePair(SA_STATION, "ZZZ97")]
    )
    BAD_DEPLOY["on"] = True
    async with Worker(client, task_queue=queue, workflows=[DrillDispute]):
        handle = await client.start_workflow(
            DrillDispute.run,
            id=dispute_workflow_id(case_id),
            task_queue=queue,
            search_attributes=attrs,
        )
        first_run = handle.result_run_id
        try:

            async def board() -> list[Any]:
                r = await svc.http.get("/internal/v1/stuck", params={"station": "ZZZ97"})
                return [i for i in r.json()["items"] if i["case_id"] == case_id]

            [row] = await poll(board, lambda rows: len(rows) == 1, timeout=60)
            assert row["why"].startswith("workflow task failing")
            BAD_DEPLOY["on"] = False  # the fixed code is deployed
            r = await repair(svc, "reset", case_id, "回退到出错前，按修复后的代码重跑")
            assert r.status_code == 200, r.text
            new_run = r.json()["run_id"]
            assert new_run and new_run != first_run
            result = await client.get_workflow_handle(handle.id, run_id=new_run).result()
            assert result == "done"
            desc = await client.get_workflow_handle(handle.id).describe()
            assert desc.status == WorkflowExecutionStatus.COMPLETED
            assert await audits(svc, case_id) == ["reset"]
        finally:
            BAD_DEPLOY["on"] = False
            desc = await client.get_workflow_handle(handle.id).describe()
            if desc.status == WorkflowExecutionStatus.RUNNING:
                await client.get_workflow_handle(handle.id).terminate()
