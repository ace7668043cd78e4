"""A case started through the disputes service, on the real Temporal server, PostgreSQL and
RabbitMQ: the task table, the timeline, the search attributes and the broker tell one story."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from temporalio.client import WorkflowQueryFailedError
from temporalio.testing import WorkflowEnvironment

from services.disputes import board
from shared.temporal import SA_TROUBLE, dispute_workflow_id
from tests.disputes.conftest import Service, Wire
from tests.helpers import poll
from tests.workflows.disputes.conftest import CHIEF, ROOM, VILLAGE, intake, officer
from workflows.disputes import client as dc
from workflows.disputes.types import (
    AcceptInput,
    ApproveClosureInput,
    FollowUpInput,
    ProposeClosureInput,
)


async def test_red_case_through_the_service_tells_one_story(
    svc: Service, temporal_env: WorkflowEnvironment, wire: Wire
) -> None:
    client = temporal_env.client
    body = intake(threats=True).model_dump(mode="json")
    r = await svc.http.post("/internal/v1/cases", json=body)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    me = officer(ROOM.officer_ids[0])

    async def my_tasks() -> Any:
        return (await svc.http.get("/internal/v1/tasks", params={"assignee": me.user_id})).json()

    page = await poll(my_tasks, lambda p: p["items"] and p["counts"])
    [task] = page["items"]
    assert (task["kind"], task["colour"], task["ref_id"]) == ("accept", "red", case_id)
    assert page["counts"] == {"accept": 1}
    due = datetime.fromisoformat(task["due_at"])
    assert timedelta(minutes=29) < due - datetime.now(UTC) <= timedelta(minutes=30)

    # the supervisor's visibility query finds it by station, stage and colour
    query = (
        f"FqStation = '{VILLAGE.station_code}' AND FqStage = 'assignment' AND FqColour = 'red'"
        f" AND FqAssignee = '{me.user_id}'"
    )

    async def listed() -> list[str]:
        return [wf.id async for wf in client.list_workflows(query)]

    await poll(listed, lambda ids: dispute_workflow_id(case_id) in ids)

    await dc.perform(client, case_id, "accept", AcceptInput(), me, "k1")
    await dc.perform(
        client,
        case_id,
        "follow-up",
        FollowUpInput(done="上门调解", outcome="settled", helper_ids=["res-0007", "leader-G01"]),
        me,
        "k2",
    )
    await dc.perform(
        client,
        case_id,
        "propose-closure",
        ProposeClosureInput(settlement_kind="mediation_agreement", summary="双方签字"),
        me,
        "k3",
    )
    page = (await svc.http.get("/internal/v1/tasks", params={"assignee": CHIEF.user_id})).json()
    assert [t["kind"] for t in page["items"]] == ["closure_approval"]
    view = await dc.perform(client, case_id, "approve-closure", ApproveClosureInput(), CHIEF, "k4")
    assert view.stage == "return_visit"

    detail = (await svc.http.get(f"/internal/v1/cases/{case_id}")).json()
    kinds = [t["kind"] for t in detail["timeline"]]
    assert kinds == [
        "reported",
        "screened",
        "assigned",
        "accepted",
        "follow_up",
        "closure_proposed",
        "closed",
    ]
    assert detail["stage"] == view.stage == "return_visit"
    assert detail["rules_fired"] == ["threats"]
    assert [c["colour"] for c in detail["colour_history"]] == ["red"]
    assert detail["open_tasks"] == []
    assert detail["allowed_actions"] == ["return-visit", "reassign", "escalate"]
    assert [p["name"] for p in detail["parties"]] == ["马建国", "王志强"]

    expected = [
        "dispute.reported",
        "dispute.screened",
        "dispute.assigned",
        "dispute.accepted",
        "dispute.follow_up_recorded",
        "dispute.closure_proposed",
        "dispute.closed",
    ]
    await wire.wait_for(lambda ms: [m["type"] for m in ms if m["case_id"] == case_id] == expected)
    closed = next(m for m in wire.messages if m["type"] == "dispute.closed")
    assert closed["helper_ids"] == ["res-0007", "leader-G01"]
    assert closed["resident_ids"] == ["res-demo-0001"]
    assert closed["station_code"] == VILLAGE.station_code
    assert len({m["id"] for m in wire.messages}) == len(wire.messages)

    mine = (
        await svc.http.get("/internal/v1/cases", params={"resident_id": "res-demo-0001"})
    ).json()
    assert [c["case_id"] for c in mine] == [case_id]

    figures = (await svc.http.get("/internal/v1/figures")).json()
    assert figures["settled_per_month"] == {datetime.now(UTC).strftime("%Y-%m"): 1}
    assert figures["open_by_colour_township"] == {}
    assert sorted(figures["stage_durations"]) == [
        "assignment",
        "closure_approval",
        "follow_up",
        "screening",
    ]
    assert figures["sla_breaches_per_station"] == {}


async def test_business_stuck_board_goes_amber_then_red(svc: Service) -> None:
    r = await svc.http.post("/internal/v1/cases", json=intake(weapons=True).model_dump(mode="json"))
    case_id = r.json()["case_id"]

    async def stage() -> Any:
        return (await svc.http.get(f"/internal/v1/cases/{case_id}")).json()

    detail = await poll(stage, lambda d: d.get("stage") == "assignment")
    since = datetime.fromisoformat(detail["timeline"][-1]["at"])
    async with svc.runtime.factory() as session:
        kw: dict[str, Any] = {"station": VILLAGE.station_code, "idle": timedelta(days=3)}
        assert await board.business_stuck(session, now=since + timedelta(minutes=10), **kw) == []
        [amber] = await board.business_stuck(session, now=since + timedelta(minutes=24), **kw)
        [red] = await board.business_stuck(session, now=since + timedelta(minutes=31), **kw)
    assert (amber.level, amber.why) == ("amber", "assignment: 80% of the allowed time used")
    assert red.level == "red" and red.why.startswith("assignment past its deadline")
    assert red.assignee_id == ROOM.officer_ids[0]


async def test_bad_requests_get_field_and_reason(svc: Service) -> None:
    body = intake().model_dump(mode="json") | {"village_code": "V0000"}
    r = await svc.http.post("/internal/v1/cases", json=body)
    assert r.status_code == 422
    assert (r.json()["field"], r.json()["reason"]) == ("village_code", "unknown or closed village")
    assert r.json()["detail"] == [
        {"loc": ["body", "village_code"], "msg": "unknown or closed village", "type": "value_error"}
    ]
    r = await svc.http.post("/internal/v1/cases", json=body | {"category": "murder"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "category"]
    r = await svc.http.get("/internal/v1/tasks", params={"colour": "blue"})
    assert r.status_code == 422
    r = await svc.http.get("/internal/v1/cases/nope")
    assert r.status_code == 404
    r = await svc.http.get("/internal/v1/tasks", headers={"X-Fengqiao-Internal": "wrong"})
    assert r.status_code in (401, 403)


async def test_directory(svc: Service) -> None:
    villages = (await svc.http.get("/internal/v1/directory/villages")).json()
    assert len(villages) == 655
    officers = (
        await svc.http.get("/internal/v1/directory/officers", params={"station": "SYZ01"})
    ).json()
    assert ROOM.officer_ids[0] in [o["user_id"] for o in officers]


async def test_technically_stuck_case_shows_and_retry_now_unblocks_it(
    svc: Service, temporal_env: WorkflowEnvironment, pg_url: Any
) -> None:
    """The worker's database is missing: the first activity backs off; after 3 failed attempts
    the workflow raises its FqTrouble flag and the board says so; once the database is back,
    retry-now resumes it, is audited, and the flag comes down."""
    from sqlalchemy import select

    from services.disputes.models import AuditEntry
    from services.disputes.seed import seed_directory
    from shared import migrate
    from shared.db import make_engine, make_session_factory
    from tests.conftest import PG_ADMIN_DSN
    from workflows.disputes.worker import build_worker

    missing = f"fq_test_missing_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{url}/{missing}"
    engine = make_engine(url)
    factory = make_session_factory(engine)
    queue = f"tq-stuck-{uuid.uuid4().hex[:8]}"
    worker = build_worker(temporal_env.client, factory, task_queue=queue, settings=svc.settings)
    async with worker:
        case_id = await dc.start_case(temporal_env.client, intake(), task_queue=queue)

        async def board() -> Any:
            r = await svc.http.get("/internal/v1/stuck", params={"station": VILLAGE.station_code})
            return [i for i in r.json()["items"] if i["case_id"] == case_id]

        handle = temporal_env.client.get_workflow_handle(f"dispute-{case_id}")

        async def trouble() -> str | None:
            return (await handle.describe()).typed_search_attributes.get(SA_TROUBLE)

        [row] = await poll(board, lambda rows: len(rows) == 1, timeout=30)
        assert (row["kind"], row["level"]) == ("technical", "red")
        # the flag goes up after attempt 3; attempt 4 follows at once and fails as fast
        assert re.match(r"activity dispute_register at attempt [45]: database: ", row["why"])
        assert f'database "{missing}" does not exist' in row["why"]
        assert await trouble() == "register"
        # attempt 5 is 8 s away (back-off goes on after 1, 2, 4 s): the database comes back
        await poll(board, lambda rows: "attempt 5" in rows[0]["why"], timeout=30)
        ready = f"{missing}_ready"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{ready}"')
        ready_url = url.rsplit("/", 1)[0] + f"/{ready}"
        await asyncio.to_thread(migrate.upgrade, "disputes", ready_url)
        ready_engine = make_engine(ready_url)
        await seed_directory(make_session_factory(ready_engine))
        await ready_engine.dispose()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{ready}" RENAME TO "{missing}"')
        try:
            r = await svc.http.post(
                f"/internal/v1/supervision/retry/{case_id}",
                json={"actor_id": CHIEF.user_id, "reason": "数据库已恢复"},
            )
            assert r.json() == {"case_id": case_id, "activities_reset": 1}

            async def view() -> Any:
                try:
                    return await dc.view(temporal_env.client, case_id)
                except WorkflowQueryFailedError:
                    return None

            v = await poll(view, lambda v: v is not None and v.assignee_id is not None, timeout=30)
            assert v.assignee_id == ROOM.officer_ids[0]
            await poll(handle.describe, lambda d: not d.raw_description.pending_activities)
            assert await trouble() is None
            assert await poll(board, lambda rows: rows == [], timeout=10) == []
            r = await svc.http.post(
                f"/internal/v1/supervision/retry/{case_id}",
                json={"actor_id": CHIEF.user_id, "reason": "again"},
            )
            assert (r.status_code, r.json()["detail"]) == (
                409,
                "no activity of this case is waiting to be retried",
            )
            async with svc.runtime.factory() as s:
                audits = (await s.execute(select(AuditEntry))).scalars().all()
            assert [(a.action, a.actor_id, a.reason) for a in audits] == [
                ("retry", CHIEF.user_id, "数据库已恢复")
            ]
        finally:
            await temporal_env.client.get_workflow_handle(f"dispute-{case_id}").terminate()
            await engine.dispose()
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{missing}" WITH (FORCE)')
