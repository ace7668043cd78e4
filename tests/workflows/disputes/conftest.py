"""Fixtures: a migrated, seeded disputes database and an in-process worker."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from services.disputes.models import Case, Task, TimelineEntry, outbox
from shared.db import make_engine, make_session_factory
from shared.demo import org
from shared.temporal import dispute_workflow_id
from tests.conftest import time_skipping_env
from tests.disputes_db import seeded_disputes_db
from tests.helpers import poll
from workflows.disputes import client as dc
from workflows.disputes.config import load_lifecycle
from workflows.disputes.types import (
    ACTIONS,
    Actor,
    CaseView,
    DisputeIntake,
    Household,
    LifecycleConfig,
    Party,
    RiskFacts,
)
from workflows.disputes.worker import build_worker

VILLAGE = org().village_named("蒋河村")
ROOM = next(r for r in org().rooms if r.code == VILLAGE.police_room_code)
CHIEF = Actor(
    user_id=f"chief-{VILLAGE.station_code}", role="station_chief", station_code=VILLAGE.station_code
)


def officer(user_id: str) -> Actor:
    return Actor(user_id=user_id, role="officer", station_code=VILLAGE.station_code)


def intake(**risk: Any) -> DisputeIntake:
    households = risk.pop("households", ["hh-1", "hh-2"])
    return DisputeIntake(
        category="neighbours",
        description="两户因宅基地边界争吵",
        village_code=VILLAGE.code,
        parties=[
            Party(name="马建国", phone="13900000001", role="complainant", user_id="res-demo-0001"),
            Party(name="王志强", phone="13900000002", role="respondent"),
        ],
        households=[Household(household_id=h, name=h) for h in households],
        risk=RiskFacts(**risk),
        reporter_kind="resident",
        reporter_id="res-demo-0001",
    )


async def make_dispute_db(url: str) -> async_sessionmaker[AsyncSession]:
    await seeded_disputes_db(url)
    return make_session_factory(make_engine(url))


@dataclass
class Harness:
    client: Client
    env: WorkflowEnvironment | None
    factory: async_sessionmaker[AsyncSession]
    task_queue: str
    started: list[str] = field(default_factory=list)

    async def start(self, i: DisputeIntake) -> str:
        case_id = await dc.start_case(self.client, i, task_queue=self.task_queue)
        self.started.append(case_id)
        return case_id

    async def terminate_all(self) -> None:
        """Leftover timers of a finished test would hold the shared time-skipping clock."""
        for case_id in self.started:
            with contextlib.suppress(Exception):
                await self.client.get_workflow_handle(dispute_workflow_id(case_id)).terminate()

    async def act(
        self, case_id: str, action: str, actor: Actor, key: str | None = None, **body: Any
    ) -> CaseView:
        model = ACTIONS[action]
        try:
            payload: BaseModel = model.model_validate(body)
        except ValidationError:  # let the client refuse it, as it would the portal's
            payload = model.model_construct(**body)
        return await dc.perform(
            self.client, case_id, action, payload, actor, key or uuid.uuid4().hex
        )

    async def view(self, case_id: str) -> CaseView:
        return await dc.view(self.client, case_id)

    async def sleep(self, delta: timedelta) -> None:
        assert self.env is not None
        await self.env.sleep(delta)

    async def wait_for(
        self, case_id: str, pred: Callable[[CaseView], bool], timeout: float = 20
    ) -> CaseView:
        async def view() -> CaseView | None:
            try:
                return await self.view(case_id)
            except WorkflowQueryFailedError:  # not registered yet
                return None
            except RPCError:  # no worker polls yet (one starting on a busy machine): asked again
                return None

        found = await poll(view, lambda v: v is not None and pred(v), timeout)
        assert found is not None
        return found

    async def tasks(self, case_id: str, *, open_only: bool = False) -> list[Task]:
        async with self.factory() as s:
            stmt = (
                select(Task).where(Task.case_id == case_id).order_by(Task.opened_at, Task.task_id)
            )
            if open_only:
                stmt = stmt.where(Task.closed_at.is_(None))
            return list((await s.execute(stmt)).scalars())

    async def timeline(self, case_id: str) -> list[str]:
        async with self.factory() as s:
            rows = await s.execute(
                select(TimelineEntry.kind)
                .where(TimelineEntry.case_id == case_id)
                .order_by(TimelineEntry.seq)
            )
            return [r[0] for r in rows]

    async def events(self, case_id: str) -> list[dict[str, Any]]:
        async with self.factory() as s:
            rows = await s.execute(
                select(outbox.c.routing_key, outbox.c.body).order_by(outbox.c.id)
            )
            return [
                {"routing_key": rk, **body} for rk, body in rows if body.get("case_id") == case_id
            ]

    async def assert_consistent(self, case_id: str) -> CaseView:
        """The case row and the task table say what the workflow says."""
        v = await self.view(case_id)
        async with self.factory() as s:
            case = await s.get(Case, case_id)
        assert case is not None
        assert (case.stage, case.colour, case.assignee_id) == (v.stage, v.colour, v.assignee_id)
        assert case.rules_fired == v.rules_fired
        assert sorted(t.task_id for t in await self.tasks(case_id, open_only=True)) == sorted(
            v.open_tasks
        )
        return v

    async def count(self, model: Any) -> int:
        async with self.factory() as s:
            return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "record_history: this path's history is in the replay corpus (tests/workflows/histories, "
        "recorded by `make histories`; the first recordings are in ./histories)",
    )


@pytest.fixture
def lifecycle() -> LifecycleConfig:
    return load_lifecycle()


@pytest.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """These modules skip days with `harness.sleep`: a time-skipping server of their own, so
    the timers of other modules' left-over workflows (the session's shared server) never fire
    during their waits (tests/conftest.py's rule; a loaded full run timed a 7-day skip out)."""
    async for env in time_skipping_env():
        yield env


@pytest.fixture
async def harness(
    time_env: WorkflowEnvironment,
    task_queue: str,
    sqlite_url: Callable[[str], str],
    lifecycle: LifecycleConfig,
) -> AsyncIterator[Harness]:
    factory = await make_dispute_db(sqlite_url("disputes"))
    worker = build_worker(time_env.client, factory, task_queue=task_queue, config=lifecycle)
    h = Harness(time_env.client, time_env, factory, task_queue)
    async with worker:
        yield h
        await h.terminate_all()
