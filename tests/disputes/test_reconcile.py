"""Projection reconciliation on the real Temporal server and PostgreSQL: a workflow terminated
behind the system's back leaves its row open until the reconciliation closes it and the
officer's task disappears; the board's terminate repair does the same, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from temporalio.testing import WorkflowEnvironment

from services.disputes import reconcile
from services.disputes.models import (
    AuditEntry,
    Case,
    CaseHousehold,
    ColourChangeRow,
    Party,
    Task,
    TimelineEntry,
)
from shared.db import transaction
from tests.disputes.conftest import Service
from tests.helpers import poll
from tests.workflows.disputes.conftest import CHIEF, ROOM, intake

OFFICER = ROOM.officer_ids[0]


async def started_case(svc: Service) -> str:
    r = await svc.http.post("/internal/v1/cases", json=intake().model_dump(mode="json"))
    case_id = str(r.json()["case_id"])
    await poll(lambda: task_refs(svc), lambda refs: case_id in refs)
    return case_id


async def task_refs(svc: Service) -> list[str]:
    r = await svc.http.get("/internal/v1/tasks", params={"assignee": OFFICER})
    return [t["ref_id"] for t in r.json()["items"]]


async def stage(svc: Service, case_id: str) -> Any:
    return (await svc.http.get(f"/internal/v1/cases/{case_id}")).json()["stage"]


def repairs(metrics: str, kind: str) -> float:
    line = f'fq_projection_repairs_total{{kind="{kind}"}}'
    found = [ln for ln in metrics.splitlines() if ln.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


async def test_terminated_behind_our_back_is_closed_by_reconciliation(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    case_id = await started_case(svc)
    before = repairs((await svc.http.get("/metrics")).text, "terminated")
    await temporal_env.client.get_workflow_handle(f"dispute-{case_id}").terminate(
        reason="an operator's mistake"
    )
    assert await stage(svc, case_id) == "assignment", "the drift: the row is still open"
    assert case_id in await task_refs(svc)

    r = await svc.http.post("/internal/v1/supervision/reconcile", json={"actor_id": CHIEF.user_id})
    assert r.status_code == 200, r.text
    [repair] = [x for x in r.json()["repaired"] if x["case_id"] == case_id]
    assert (repair["kind"], repair["stage"], repair["tasks_closed"]) == (
        "terminated",
        "cancelled",
        1,
    )
    assert await stage(svc, case_id) == "cancelled"
    assert case_id not in await task_refs(svc), "the officer's task is gone"
    after = repairs((await svc.http.get("/metrics")).text, "terminated")
    assert after == before + 1
    # a second round finds nothing left to repair
    r = await svc.http.post("/internal/v1/supervision/reconcile", json={"actor_id": CHIEF.user_id})
    assert case_id not in [x["case_id"] for x in r.json()["repaired"]]
    async with svc.runtime.factory() as s:
        kinds = (
            await s.scalars(select(TimelineEntry.kind).where(TimelineEntry.case_id == case_id))
        ).all()
    assert kinds.count("reconciled") == 1


async def test_board_terminate_closes_the_case_and_is_audited(svc: Service) -> None:
    case_id = await started_case(svc)
    r = await svc.http.post(
        f"/internal/v1/supervision/terminate/{case_id}",
        json={"actor_id": CHIEF.user_id, "reason": "重复登记，终止流程"},
    )
    assert r.status_code == 200, r.text
    assert [x["kind"] for x in r.json()["repaired"]] == ["terminated"]
    assert await stage(svc, case_id) == "cancelled"
    assert case_id not in await task_refs(svc)
    async with svc.runtime.factory() as s:
        audits = (await s.scalars(select(AuditEntry).where(AuditEntry.case_id == case_id))).all()
    assert [(a.action, a.actor_id) for a in audits] == [
        ("terminate", CHIEF.user_id),
        ("reconcile", CHIEF.user_id),
    ]
    r = await svc.http.post(
        f"/internal/v1/supervision/terminate/{case_id}",
        json={"actor_id": CHIEF.user_id, "reason": "again"},
    )
    assert r.status_code == 409


async def test_a_row_deleted_behind_our_back_is_rebuilt_from_the_running_workflow(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    case_id = await started_case(svc)
    before_row = (await svc.http.get(f"/internal/v1/cases/{case_id}")).json()
    before = repairs((await svc.http.get("/metrics")).text, "missing_row")
    async with transaction(svc.runtime.factory) as s:
        for table in (TimelineEntry, ColourChangeRow, Task, Party, CaseHousehold):
            await s.execute(delete(table).where(table.case_id == case_id))
        await s.execute(delete(Case).where(Case.case_id == case_id))
    assert (await svc.http.get(f"/internal/v1/cases/{case_id}")).status_code == 404
    assert case_id not in await task_refs(svc), "the drift: the officer lost the task"

    # the periodic job leaves a workflow younger than a minute alone (it may be writing its row)
    r = await svc.http.post("/internal/v1/supervision/reconcile", json={"actor_id": CHIEF.user_id})
    assert case_id not in [x["case_id"] for x in r.json()["repaired"]]
    done = await reconcile.reconcile(
        svc.runtime.factory,
        temporal_env.client,
        actor=CHIEF.user_id,
        task_queue=svc.settings.task_queue,
        min_age=timedelta(0),
    )
    [repair] = [x for x in done.repaired if x.case_id == case_id]
    assert (repair.kind, repair.stage, repair.tasks_rebuilt) == ("missing_row", "assignment", 1)
    row = (await svc.http.get(f"/internal/v1/cases/{case_id}")).json()
    for key in ("case_no", "category", "description", "stage", "colour", "assignee_id"):
        assert row[key] == before_row[key], key
    assert case_id in await task_refs(svc), "the officer's task is back"
    after = repairs((await svc.http.get("/metrics")).text, "missing_row")
    assert after == before + 1
    again = await reconcile.reconcile(
        svc.runtime.factory,
        temporal_env.client,
        actor=CHIEF.user_id,
        task_queue=svc.settings.task_queue,
        min_age=timedelta(0),
    )
    assert case_id not in [x.case_id for x in again.repaired]
    # the rebuilt row follows the workflow: the officer accepts, the row moves on
    r = await svc.http.post(
        f"/internal/v1/cases/{case_id}/actions/accept",
        json={
            "actor": {"user_id": OFFICER, "role": "officer", "station_code": CHIEF.station_code},
            "idempotency_key": f"accept-{case_id}",
        },
    )
    assert r.status_code == 200, r.text
    await poll(lambda: stage(svc, case_id), lambda st: st == "follow_up")
