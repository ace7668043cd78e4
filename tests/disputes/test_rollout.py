"""An administrator rolls a new lifecycle out to chosen running cases (the disputes service's
batch, over HTTP, on PostgreSQL and the real dev server): the rolled case's open deadline moves
and its timeline and audit say who did it and why; a case not rolled keeps its deadline; the
batch reports refusals with their reasons; a bad configuration is a 422 naming the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from services.disputes.models import AuditEntry, Task, TimelineEntry
from shared.temporal import data_converter, dispute_workflow_id
from tests.disputes.conftest import Service
from tests.helpers import poll
from tests.workflows.disputes.conftest import intake
from workflows.disputes import client as dc
from workflows.disputes.types import CaseView
from workflows.disputes.workflow import DisputeWorkflow

LIFECYCLE = yaml.safe_load(Path("workflows/disputes/lifecycle.yaml").read_text(encoding="utf-8"))


def lifecycle(**changes: object) -> str:
    return yaml.safe_dump({**LIFECYCLE, **changes})


async def assigned(env: WorkflowEnvironment, case_id: str) -> CaseView:
    async def view() -> CaseView | None:
        try:
            return await dc.view(env.client, case_id)
        except Exception:
            return None

    v = await poll(view, lambda v: v is not None and v.stage == "assignment")
    assert isinstance(v, CaseView)
    return v


async def test_rolled_case_takes_the_new_deadline_others_keep_theirs(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    ids = []
    for hh in ("roll-a", "roll-b"):
        r = await svc.http.post(
            "/internal/v1/cases", json=intake(households=[hh]).model_dump(mode="json")
        )
        ids.append(r.json()["case_id"])
    a, b = ids
    before = {c: (await assigned(temporal_env, c)).stage_deadline for c in ids}
    body = {
        "lifecycle_yaml": lifecycle(accept_minutes={"red": 15, "yellow": 60, "green": 60}),
        "version": "2026-12-b",
        "reason": "受理时限缩短为一小时",
        "actor_id": "admin",
        "case_ids": [a],
    }
    r = await svc.http.post("/internal/v1/lifecycle/rollouts", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"version": "2026-12-b", "rolled": [a], "refused": {}}

    va, vb = await dc.view(temporal_env.client, a), await dc.view(temporal_env.client, b)
    was, now = before[a], va.stage_deadline
    assert was is not None and now is not None
    assert was - now == timedelta(minutes=1440 - 60)
    assert (va.lifecycle_version, vb.lifecycle_version) == ("2026-12-b", "")
    assert vb.stage_deadline == before[b]
    async with svc.runtime.factory() as s:
        due = {
            t.case_id: t.due_at
            for t in (await s.execute(select(Task).where(Task.case_id.in_(ids)))).scalars()
        }
        timeline = (
            await s.execute(
                select(TimelineEntry.kind, TimelineEntry.note, TimelineEntry.actor_id).where(
                    TimelineEntry.case_id == a
                )
            )
        ).all()
        audit = (await s.execute(select(AuditEntry).where(AuditEntry.case_id == a))).scalars()
        audits = [(e.action, e.actor_id, e.reason) for e in audit]
    due_a = due[a]
    assert due_a is not None and due_a.replace(tzinfo=now.tzinfo) == now
    assert (
        "lifecycle_rolled_out",
        "lifecycle 2026-12-b: 受理时限缩短为一小时",
        "admin",
    ) in timeline
    assert audits == [("lifecycle-rollout", "admin", "lifecycle 2026-12-b: 受理时限缩短为一小时")]
    assert ("lifecycle_rolled_out",) not in await _kinds(svc, b)

    # the whole station this time (a retried batch, for a): b takes it, a acts once
    again = {**body, "case_ids": None, "station": va.station_code}
    r = await svc.http.post("/internal/v1/lifecycle/rollouts", json=again)
    assert {a, b} <= set(r.json()["rolled"]) and r.json()["refused"] == {}
    assert [k for (k,) in await _kinds(svc, a)].count("lifecycle_rolled_out") == 1
    assert [k for (k,) in await _kinds(svc, b)].count("lifecycle_rolled_out") == 1

    # the rolled case's history (with the new update) replays
    history = await temporal_env.client.get_workflow_handle(dispute_workflow_id(a)).fetch_history()
    replayer = Replayer(workflows=[DisputeWorkflow], data_converter=data_converter())
    await replayer.replay_workflow(history)


async def _kinds(svc: Service, case_id: str) -> list[tuple[str]]:
    async with svc.runtime.factory() as s:
        rows = await s.execute(select(TimelineEntry.kind).where(TimelineEntry.case_id == case_id))
        return [(str(r[0]),) for r in rows]


async def test_a_bad_configuration_is_refused_with_the_field(svc: Service) -> None:
    base = {"version": "v3", "reason": "x", "actor_id": "admin", "case_ids": []}
    for text, message in [
        (lifecycle(accept_minutes={"red": 0, "yellow": 60, "green": 60}), "must be positive"),
        (lifecycle(accept_minutes={"red": 30}), "give red, yellow and green"),
        (lifecycle(retired_knob=1), "retired_knob: Extra inputs are not permitted"),
        ("accept_minutes: [", "not YAML"),
    ]:
        r = await svc.http.post(
            "/internal/v1/lifecycle/rollouts", json={**base, "lifecycle_yaml": text}
        )
        assert r.status_code == 422, text
        [detail] = r.json()["detail"]
        assert detail["loc"] == ["body", "lifecycle_yaml"]
        assert message in detail["msg"]
    r = await svc.http.post(
        "/internal/v1/lifecycle/rollouts",
        json={**base, "lifecycle_yaml": lifecycle(), "version": "bad version!"},
    )
    assert r.status_code == 422
