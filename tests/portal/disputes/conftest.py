"""The disputes area against the real thing: the portal, the disputes service app (in-process)
and a dispute worker on the real Temporal dev server, sharing one fresh disputes database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowQueryFailedError
from temporalio.testing import WorkflowEnvironment

from services.appointments.api import create_app as create_appointments_app
from services.disputes.api import create_app as create_disputes_app
from services.disputes.models import TimelineEntry
from services.portal.models import AuditEntry
from services.portal.service import AccountSpec, ensure_account
from shared.config import AppointmentsSettings, DisputesSettings
from shared.db import make_engine, make_session_factory, transaction
from shared.demo import org
from tests.appointments.conftest import make_desk
from tests.conftest import AMQP_URL, make_pg_database
from tests.disputes_db import seeded_disputes_db
from tests.helpers import poll
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness
from workflows.disputes import client as dc
from workflows.disputes.types import ACTIONS, Actor, CaseView, LifecycleConfig
from workflows.disputes.worker import build_worker

VILLAGE = org().by_village[ACCOUNTS["resident"].village or ""]
STATION = VILLAGE.station_code
OTHER_STATION = next(s.code for s in org().stations if s.code != STATION)
OTHER_OFFICER = next(o for o in org().officers if o.station_code == OTHER_STATION)
COLLEAGUE = next(
    o.user_id
    for o in org().officers
    if o.station_code == STATION and o.user_id != ACCOUNTS["officer"].user_id
)
PASSWORD = "Fq-other-2026"


def intake_body(**risk: Any) -> dict[str, Any]:
    return {
        "category": "neighbours",
        "description": "两户因宅基地边界争吵",
        "village_code": VILLAGE.code,
        "parties": [
            {
                "name": "马建国",
                "phone": "13912345678",
                "id_number": "640402198001011234",
                "role": "complainant",
                "user_id": ACCOUNTS["resident"].user_id,
            },
            {"name": "王志强", "phone": "13987654321", "role": "respondent"},
        ],
        "households": [{"household_id": "hh-ma", "name": "马家"}],
        "risk": risk,
    }


@dataclass
class Stack:
    portal: PortalHarness
    factory: async_sessionmaker[AsyncSession]
    env: WorkflowEnvironment
    task_queue: str
    disputes: FastAPI

    async def wait_for(
        self, case_id: str, pred: Callable[[CaseView], bool], timeout: float = 20
    ) -> CaseView:
        async def view() -> CaseView | None:
            try:
                return await dc.view(self.env.client, case_id)
            except (dc.CaseNotFound, WorkflowQueryFailedError):  # not registered yet
                return None

        found = await poll(view, lambda v: v is not None and pred(v), timeout)
        assert found is not None
        return found

    async def timeline_kinds(self, case_id: str) -> list[str]:
        async with self.factory() as s:
            rows = await s.execute(
                select(TimelineEntry.kind)
                .where(TimelineEntry.case_id == case_id)
                .order_by(TimelineEntry.seq)
            )
            return [r[0] for r in rows]

    async def assigned_to(self, case_id: str, officer_id: str) -> CaseView:
        """Wait for the first assignment, then make sure `officer_id` holds the case."""
        v = await self.wait_for(case_id, lambda v: v.assignee_id is not None)
        if v.assignee_id != officer_id:
            chief = Actor(user_id=f"chief-{STATION}", role="station_chief", station_code=STATION)
            payload = ACTIONS["reassign"].model_validate(
                {"officer_id": officer_id, "reason": "test setup"}
            )
            v = await dc.perform(
                self.env.client, case_id, "reassign", payload, chief, f"setup-{case_id}"
            )
        return v

    async def api(self, who: str, password: str | None = None) -> httpx.AsyncClient:
        return await self.portal.api(who, password)


async def audit_actions(stack: Stack) -> list[tuple[str, str | None]]:
    """The portal's audit log of dispute actions, oldest first."""
    async with stack.portal.runtime.factory() as s:
        rows = await s.execute(
            select(AuditEntry.action, AuditEntry.subject).order_by(AuditEntry.id)
        )
        return [(a, subj) for a, subj in rows if a.startswith("dispute.")]


async def add_account(portal: PortalHarness, spec: AccountSpec) -> None:
    async with transaction(portal.runtime.factory) as session:
        await ensure_account(session, spec)


# Deadlines of seconds, so a case is overdue quickly on the real (not time-skipping) server.
QUICK = LifecycleConfig(
    follow_up_every_days={"red": 2 / 86400, "yellow": 2 / 86400, "green": 2 / 86400},
    follow_up_grace_hours={"red": 1 / 3600, "yellow": 1 / 3600, "green": 1 / 3600},
)


@asynccontextmanager
async def running_stack(
    portal_factory: PortalFactory,
    env: WorkflowEnvironment,
    task_queue: str,
    exchange: str,
    url: str,
    config: LifecycleConfig | None = None,
    appointments_url: str | None = None,
) -> AsyncIterator[Stack]:
    backends = {}
    if appointments_url is not None:
        desk = await make_desk(appointments_url)
        await desk.factory.kw["bind"].dispose()
        backends["appointments"] = create_appointments_app(
            AppointmentsSettings(
                database_url=appointments_url,
                exchange=exchange,
                amqp_url=AMQP_URL,
                run_jobs=False,
                task_queue=f"{task_queue}-visits",
            ),
            temporal=env.client,
        )
    await seeded_disputes_db(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = DisputesSettings(
        database_url=url,
        exchange=exchange,
        amqp_url=AMQP_URL,
        task_queue=task_queue,
        temporal_address=env.client.service_client.config.target_host,
        relay_interval_seconds=0.1,
    )
    disputes_app = create_disputes_app(settings, temporal=env.client)
    worker = build_worker(
        env.client, factory, task_queue=task_queue, settings=settings, config=config
    )
    try:
        async with (
            worker,
            portal_factory(backends={"disputes": disputes_app, **backends}) as h,
        ):
            await add_account(
                h,
                AccountSpec(
                    user_id=OTHER_OFFICER.user_id,
                    username="other-officer",
                    role="officer",
                    display_name=OTHER_OFFICER.name,
                    phone=OTHER_OFFICER.phone,
                    password=PASSWORD,
                    station_code=OTHER_STATION,
                ),
            )
            yield Stack(h, factory, env, task_queue, disputes_app)
    finally:
        await engine.dispose()


@pytest.fixture
async def stack(
    portal_factory: PortalFactory,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    exchange: str,
    sqlite_url: Callable[[str], str],
) -> AsyncIterator[Stack]:
    async with running_stack(
        portal_factory, temporal_env, task_queue, exchange, sqlite_url("disputes")
    ) as s:
        yield s


@pytest.fixture
async def full_stack(
    portal_factory: PortalFactory,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    exchange: str,
    sqlite_url: Callable[[str], str],
) -> AsyncIterator[Stack]:
    """With the appointments service too (online applications are officer tasks)."""
    async with running_stack(
        portal_factory,
        temporal_env,
        task_queue,
        exchange,
        sqlite_url("disputes"),
        appointments_url=sqlite_url("appointments"),
    ) as s:
        yield s


@pytest.fixture
async def quick_stack(
    portal_factory: PortalFactory,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    exchange: str,
) -> AsyncIterator[Stack]:
    """Short follow-up deadlines, on PostgreSQL (the other fixture runs on SQLite)."""
    async with running_stack(
        portal_factory, temporal_env, task_queue, exchange, make_pg_database(), QUICK
    ) as s:
        yield s
