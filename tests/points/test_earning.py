"""Earning: patrols co-signed under a daily cap, crime tips rated by officers, disputes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points import chain, service, volunteers
from services.points.ledger import Forbidden, Refused
from services.points.models import Account, Entry, Group, Item, Village
from services.points.rules import Rules
from services.points.seed import seed
from shared.config import PointsSettings
from shared.contracts.points import PatrolCreate, TipCreate
from shared.db import make_engine, make_session_factory, transaction
from shared.messaging.contracts.disputes import DisputeClosed, DisputeFollowUpRecorded
from shared.messaging.contracts.users import UserUpserted
from tests.points.conftest import seed_basics

Factory = async_sessionmaker[AsyncSession]
CST = ZoneInfo("Asia/Shanghai")


def shift(hour: int, hours: float, members: list[str], key: str) -> PatrolCreate:
    start = datetime(2026, 11, 20, hour, 0, tzinfo=CST)
    return PatrolCreate(
        group_code="G01",
        leader_id="leader-G01",
        member_ids=members,
        village_code="V1",
        started_at=start,
        ended_at=start + timedelta(hours=hours),
        notes="夜间巡逻",
        idempotency_key=key,
    )


async def balances(factory: Factory, *ids: str) -> list[int]:
    async with factory() as s:
        out = []
        for i in ids:
            acc = await s.get(Account, i)
            out.append(acc.balance if acc else 0)
        return out


async def test_patrol_points_pending_until_cosigned_then_capped_per_day(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        morning = await volunteers.log_patrol(s, shift(8, 3, ["m1", "m2"], "patrol-am"), rules)
        again = await volunteers.log_patrol(s, shift(8, 3, ["m1", "m2"], "patrol-am"), rules)
        evening = await volunteers.log_patrol(s, shift(18, 4, ["m1", "m3"], "patrol-pm"), rules)
    assert again.id == morning.id  # a retried request logs one shift
    assert morning.status == "pending"
    assert [m.points for m in morning.members] == [12, 12]  # pending: 3 h x 4 points
    assert await balances(factory, "m1", "m2", "m3") == [0, 0, 0]

    with pytest.raises(Forbidden):
        async with transaction(factory) as s:
            await volunteers.cosign_patrol(
                s, patrol_id=morning.id, officer_id="leader-G01", rules=rules
            )
    async with transaction(factory) as s:
        signed = await volunteers.cosign_patrol(
            s, patrol_id=morning.id, officer_id="off-0001", rules=rules
        )
    assert (signed.status, signed.cosigned_by) == ("cosigned", "off-0001")
    assert await balances(factory, "m1", "m2", "m3", "group:G01") == [12, 12, 0, 24]

    async with transaction(factory) as s:
        late = await volunteers.cosign_patrol(
            s, patrol_id=evening.id, officer_id="off-0001", rules=rules
        )
    # m1 already has 12 of the day's 20; m3 gets the full 16
    assert {m.user_id: m.points for m in late.members} == {"m1": 8, "m3": 16}
    assert await balances(factory, "m1", "m2", "m3", "group:G01") == [20, 12, 16, 48]

    with pytest.raises(Refused, match="already co-signed"):
        async with transaction(factory) as s:
            await volunteers.cosign_patrol(
                s, patrol_id=morning.id, officer_id="off-0002", rules=rules
            )
    async with transaction(factory) as s:  # the same officer again: nothing changes
        await volunteers.cosign_patrol(s, patrol_id=morning.id, officer_id="off-0001", rules=rules)
    assert await balances(factory, "m1") == [20]

    next_day = shift(8, 3, ["m1"], "patrol-next").model_copy(
        update={
            "started_at": datetime(2026, 11, 21, 8, tzinfo=CST),
            "ended_at": datetime(2026, 11, 21, 11, tzinfo=CST),
        }
    )
    async with transaction(factory) as s:
        p = await volunteers.log_patrol(s, next_day, rules)
        await volunteers.cosign_patrol(s, patrol_id=p.id, officer_id="off-0001", rules=rules)
    assert await balances(factory, "m1") == [32]


async def test_only_the_leader_logs_and_only_members_count(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    intruder = shift(8, 2, ["m1"], "patrol-x1").model_copy(update={"leader_id": "leader-G02"})
    with pytest.raises(Forbidden):
        async with transaction(factory) as s:
            await volunteers.log_patrol(s, intruder, rules)
    with pytest.raises(Refused, match="not members of G01: stranger"):
        async with transaction(factory) as s:
            await volunteers.log_patrol(s, shift(8, 2, ["m1", "stranger"], "patrol-x2"), rules)


async def test_tip_rated_by_officer_credits_by_rating_once(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        tip = await service.submit_tip(
            s,
            TipCreate(
                tipster_id="res-1",
                village_code="V1",
                text="有人深夜在村口偷运电缆",
                idempotency_key="tip-0001",
            ),
        )
    with pytest.raises(Forbidden):
        async with transaction(factory) as s:
            await service.rate_tip(
                s, tip_id=tip.id, officer_id="res-1", rating="useful", rules=rules
            )
    async with transaction(factory) as s:
        rated = await service.rate_tip(
            s, tip_id=tip.id, officer_id="off-0001", rating="led_to_case", rules=rules
        )
    assert (rated.status, rated.points) == ("rated", 50)
    with pytest.raises(Refused, match="already rated"):
        async with transaction(factory) as s:
            await service.rate_tip(
                s, tip_id=tip.id, officer_id="off-0002", rating="useful", rules=rules
            )
    assert await balances(factory, "res-1") == [50]
    async with factory() as s:
        history = await service.history(s, "res-1")
    assert [(e.reason_kind, e.amount) for e in history.entries] == [("tip", 50)]


async def test_dispute_closed_credits_helpers_and_resident_reporter_once(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        await service.upsert_user(
            s, UserUpserted(user_id="res-7", role="resident", display_name="王", village_code="V1")
        )
        await service.upsert_user(
            s, UserUpserted(user_id="off-0001", role="officer", display_name="李")
        )
    closed = DisputeClosed(
        case_id="case-1",
        case_no="YZ-2026-0001",
        colour="yellow",
        stage="closed",
        village_code="V1",
        settlement="调解成功",
        helper_ids=["res-1", "res-2", "res-1"],
        reporter_id="res-7",
    )
    by_officer = closed.model_copy(update={"case_id": "case-2", "reporter_id": "off-0001"})
    for event in (closed, closed.model_copy(update={"event_id": "another-id"}), by_officer):
        async with transaction(factory) as s:
            await service.credit_dispute_event(s, event, rules)
    assert await balances(factory, "res-1", "res-2", "res-7", "off-0001") == [20, 20, 5, 0]
    async with factory() as s:
        kinds = (
            await s.execute(select(Entry.reason_kind).where(Entry.account_id == "res-7"))
        ).scalars()
        assert list(kinds) == ["screening"]
        assert (await chain.verify_chain(s)).ok


async def test_follow_up_helpers_credited_once_per_follow_up(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    follow_up = DisputeFollowUpRecorded(
        case_id="case-3",
        case_no="YZ-2026-0003",
        colour="green",
        stage="follow_up",
        village_code="V1",
        outcome="双方同意再谈",
        helper_ids=["res-1"],
    )
    for event in (follow_up, follow_up, follow_up.model_copy(update={"event_id": "second-visit"})):
        async with transaction(factory) as s:
            await service.credit_dispute_event(s, event, rules)
    assert await balances(factory, "res-1") == [10]  # two follow-ups, 5 points each


async def test_seeder_is_idempotent(tmp_path: Path) -> None:
    settings = PointsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'seed.db'}")
    for _ in range(2):
        await seed(settings)
    engine = make_engine(settings.database_url)
    async with make_session_factory(engine)() as s:
        demo = await s.get(Account, "res-demo-0001")
        items = (await s.execute(select(func.count()).select_from(Item))).scalar_one()
        groups = (await s.execute(select(func.count()).select_from(Group))).scalar_one()
        assert (await chain.verify_chain(s)).ok
    await engine.dispose()
    assert demo is not None and (demo.balance, demo.version) == (142, 4)
    assert (items, groups) == (655 * 6, 46)


async def test_officers_act_only_on_their_stations_villages(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        s.add(Village(code="V1", name="蒋河村", station_code="S1"))
        patrol = await volunteers.log_patrol(s, shift(8, 1, ["m1"], "patrol-st"), rules)
        tip = await service.submit_tip(
            s,
            TipCreate(
                tipster_id="res-1",
                village_code="V1",
                text="村口有人贩卖假药",
                idempotency_key="tip-st-1",
            ),
        )
    async with factory() as s:
        assert [p.id for p in await volunteers.list_patrols(s, rules, station_code="S1")] == [
            patrol.id
        ]
        assert await volunteers.list_patrols(s, rules, station_code="S2") == []
        assert await service.list_tips(s, station_code="S2") == []
    with pytest.raises(Forbidden, match="outside your station"):
        async with transaction(factory) as s:
            await volunteers.cosign_patrol(
                s, patrol_id=patrol.id, officer_id="off-9", rules=rules, station_code="S2"
            )
    with pytest.raises(Forbidden, match="outside your station"):
        async with transaction(factory) as s:
            await service.rate_tip(
                s,
                tip_id=tip.id,
                officer_id="off-9",
                rating="useful",
                rules=rules,
                station_code="S2",
            )
    async with transaction(factory) as s:
        await volunteers.cosign_patrol(
            s, patrol_id=patrol.id, officer_id="off-1", rules=rules, station_code="S1"
        )
    assert await balances(factory, "m1", "res-1") == [4, 0]


async def test_concurrent_cosigns_never_exceed_the_daily_cap(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    ids = []
    async with transaction(factory) as s:
        for n in range(6):  # six 3-hour shifts of m1 on one day: 72 points before the cap
            p = await volunteers.log_patrol(s, shift(2 + 3 * n, 3, ["m1"], f"patrol-c{n}"), rules)
            ids.append(p.id)

    async def sign(patrol_id: str, officer: str) -> None:
        async with transaction(factory) as s:
            await volunteers.cosign_patrol(s, patrol_id=patrol_id, officer_id=officer, rules=rules)

    await asyncio.gather(*(sign(pid, f"off-{n}") for n, pid in enumerate(ids)))
    assert await balances(factory, "m1") == [20]
    async with factory() as s:
        posted = await volunteers.list_patrols(s, rules, status="cosigned")
        assert sorted(p.members[0].points for p in posted) == [0, 0, 0, 0, 8, 12]
        assert (await chain.verify_chain(s)).ok
