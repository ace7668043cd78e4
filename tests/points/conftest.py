"""Fixtures of the points tests: a migrated ledger database, rules, the app in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points import ledger
from services.points.api import create_app
from services.points.models import Group, GroupMember, Item
from services.points.rules import Rules
from shared import migrate
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import PointsSettings
from shared.db import make_engine, make_session_factory, transaction
from tests.conftest import AMQP_URL

RULES = Rules(
    mediation_help=10,
    follow_up_help=5,
    screening_report=5,
    patrol_points_per_hour=4,
    patrol_daily_cap=20,
    tip_points={"not_useful": 0, "useful": 20, "led_to_case": 50},
    redemption_code_minutes=10,
    redemption_hold_minutes=60,
    expiry_days=365,
)


@pytest.fixture
def rules() -> Rules:
    return RULES


@pytest.fixture
async def factory(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await asyncio.to_thread(migrate.upgrade, "points", db_url)
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    await engine.dispose()


async def seed_basics(factory: async_sessionmaker[AsyncSession]) -> None:
    """Group G01 (leader-G01, members m1..m3), a shop item, the resident res-1."""
    async with transaction(factory) as s:
        s.add(Group(code="G01", name="头营镇六盘义警", village_code="V1", leader_id="leader-G01"))
        await s.flush()
        for m in ("m1", "m2", "m3"):
            s.add(GroupMember(group_code="G01", user_id=m, display_name=m))
        s.add(
            Item(
                id="soap", village_code="V1", shop="蒋河村爱心超市", name="肥皂", price=5, stock=10
            )
        )
        s.add(
            Item(
                id="oil", village_code="V1", shop="蒋河村爱心超市", name="食用油", price=30, stock=2
            )
        )
        await ledger.ensure_account(s, "res-1", display_name="马秀英", village_code="V1")


async def give(factory: async_sessionmaker[AsyncSession], account: str, amount: int) -> None:
    async with transaction(factory) as s:
        await ledger.ensure_account(s, account, village_code="V1")
        await ledger.post(
            s,
            account_id=account,
            kind="adjust",
            amount=amount,
            reason_kind="adjustment",
            reason="test credit",
            idem_key=f"give:{account}:{amount}:{ledger.utcnow().timestamp()}",
        )


@dataclass
class PointsApp:
    app: FastAPI
    client: httpx.AsyncClient
    settings: PointsSettings


@pytest.fixture
async def points_app(tmp_path: Path, exchange: str) -> AsyncIterator[PointsApp]:
    settings = PointsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'points.db'}",
        amqp_url=AMQP_URL,
        exchange=exchange,
        relay_interval_seconds=0.1,
    )
    app = create_app(settings, rules=RULES)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {INTERNAL_TOKEN_HEADER: settings.internal_token}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://points", headers=headers
        ) as client:
            yield PointsApp(app, client, settings)
