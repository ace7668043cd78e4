"""Ledger rules that must hold on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, delete, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points import chain, expiry, ledger, service, supermarket
from services.points.ledger import IdempotencyMismatch, InsufficientPoints, Refused
from services.points.models import Account, Base, Entry, Item, outbox
from services.points.rules import Rules
from shared import migrate
from shared.contracts.points import RedemptionCreate
from shared.db import transaction
from tests.points.conftest import give, seed_basics

Factory = async_sessionmaker[AsyncSession]


async def balance(factory: Factory, account: str) -> tuple[int, int]:
    async with factory() as s:
        acc = await s.get(Account, account)
        assert acc is not None
        return acc.balance, acc.held


async def stock(factory: Factory, item_id: str) -> int:
    async with factory() as s:
        item = await s.get(Item, item_id)
        assert item is not None
        return item.stock


async def outbox_keys(factory: Factory) -> list[str]:
    async with factory() as s:
        return list((await s.execute(select(outbox.c.routing_key).order_by(outbox.c.id))).scalars())


async def test_100_concurrent_redemptions_against_balance_for_10(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        await s.execute(update(Item).where(Item.id == "soap").values(stock=50))
    await give(factory, "res-1", 50)  # soap costs 5: enough for exactly 10
    codes = []
    async with transaction(factory) as s:
        for _ in range(100):
            codes.append((await supermarket.issue_code(s, account_id="res-1", rules=rules)).code)

    async def attempt(i: int) -> str:
        body = RedemptionCreate(
            code=codes[i], item_id="soap", clerk_id="clerk-1", idempotency_key=f"counter-{i:04d}"
        )
        try:
            async with transaction(factory) as s:
                await supermarket.redeem(s, body, rules)
        except InsufficientPoints:
            return "refused"
        return "ok"

    results = await asyncio.gather(*(attempt(i) for i in range(100)))
    assert results.count("ok") == 10
    assert results.count("refused") == 90
    assert await balance(factory, "res-1") == (0, 0)
    assert await stock(factory, "soap") == 40
    assert (await outbox_keys(factory)).count("points.redeemed") == 10
    async with factory() as s:
        assert (await chain.verify_chain(s)).ok


async def test_database_itself_refuses_a_negative_balance(factory: Factory) -> None:
    await seed_basics(factory)
    with pytest.raises(IntegrityError):
        async with transaction(factory) as s:
            await s.execute(update(Account).where(Account.id == "res-1").values(balance=-1))
    with pytest.raises(IntegrityError):
        async with transaction(factory) as s:
            await s.execute(update(Item).where(Item.id == "soap").values(stock=-1))


async def test_out_of_stock_rolls_back_points_and_code(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    await give(factory, "res-1", 100)
    async with transaction(factory) as s:
        code = (await supermarket.issue_code(s, account_id="res-1", rules=rules)).code
    body = RedemptionCreate(
        code=code, item_id="oil", quantity=3, clerk_id="clerk-1", idempotency_key="oil-3-units"
    )
    with pytest.raises(Refused, match="out of stock"):
        async with transaction(factory) as s:
            await supermarket.redeem(s, body, rules)
    assert await balance(factory, "res-1") == (100, 0)
    assert await stock(factory, "oil") == 2
    ok = body.model_copy(update={"quantity": 2, "idempotency_key": "oil-2-units"})
    async with transaction(factory) as s:  # the code was not used up by the failed attempt
        receipt = await supermarket.redeem(s, ok, rules)
    assert (receipt.points, receipt.balance_after, receipt.status) == (60, 40, "completed")
    assert await stock(factory, "oil") == 0


async def test_same_key_changes_nothing_and_other_body_is_refused(factory: Factory) -> None:
    await seed_basics(factory)
    for _ in range(2):
        async with transaction(factory) as s:
            first = await service.adjust(
                s, account_id="res-1", amount=15, reason="fix", actor_id="admin-1", key="adj-1"
            )
    assert await balance(factory, "res-1") == (15, 0)
    with pytest.raises(IdempotencyMismatch):
        async with transaction(factory) as s:
            await service.adjust(
                s, account_id="res-1", amount=50, reason="fix", actor_id="admin-1", key="adj-1"
            )
    async with factory() as s:
        entries = (await s.execute(select(Entry).where(Entry.account_id == "res-1"))).scalars()
        assert [(e.id, e.amount) for e in entries] == [(first.id, 15)]


async def test_reversal_restores_balance_once_with_reason(factory: Factory) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        wrong = await ledger.credit_once(
            s, account_id="res-1", amount=12, reason_kind="patrol", idem_key="patrol:x:res-1"
        )
    assert wrong is not None
    with pytest.raises(Refused, match="reason"):
        async with transaction(factory) as s:
            await service.reverse(s, entry_id=wrong.id, reason=" ", actor_id="off-1", key="rev-1")
    async with transaction(factory) as s:
        rev = await service.reverse(
            s, entry_id=wrong.id, reason="patrol never happened", actor_id="off-1", key="rev-1"
        )
    assert (rev.kind, rev.amount, rev.balance_after, rev.reverses_id) == (
        "reverse",
        -12,
        0,
        wrong.id,
    )
    with pytest.raises(Refused, match="already reversed"):
        async with transaction(factory) as s:
            await service.reverse(
                s, entry_id=wrong.id, reason="again", actor_id="off-1", key="rev-2"
            )
    with pytest.raises(IdempotencyMismatch):  # the same key again, with another reason
        async with transaction(factory) as s:
            await service.reverse(
                s, entry_id=wrong.id, reason="typo", actor_id="off-1", key="rev-1"
            )
    assert await balance(factory, "res-1") == (0, 0)
    assert await outbox_keys(factory) == ["points.awarded", "points.reversed"]
    async with factory() as s:  # the wrong credit is still there: reversal, never deletion
        kinds = (await s.execute(select(Entry.kind).order_by(Entry.version))).scalars().all()
    assert kinds == ["earn", "reverse"]


async def test_reversal_of_spent_points_is_refused(factory: Factory) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        credit = await ledger.credit_once(
            s, account_id="res-1", amount=10, reason_kind="tip", idem_key="tip:t1"
        )
        assert credit is not None
        await ledger.post(
            s,
            account_id="res-1",
            kind="redeem",
            amount=-8,
            reason_kind="redemption",
            idem_key="r1",
        )
    with pytest.raises(InsufficientPoints, match="already spent"):
        async with transaction(factory) as s:
            await service.reverse(s, entry_id=credit.id, reason="dup", actor_id="a", key="rev-9")
    assert await balance(factory, "res-1") == (2, 0)


async def test_expiry_takes_oldest_earned_points_first(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    now = ledger.utcnow()
    async with transaction(factory) as s:
        for days, amount in ((400, 30), (380, 5), (10, 20)):
            await ledger.credit_once(
                s,
                account_id="res-1",
                amount=amount,
                reason_kind="mediation",
                idem_key=f"old-{days}",
                now=now - timedelta(days=days),
            )
        await ledger.post(
            s,
            account_id="res-1",
            kind="redeem",
            amount=-12,
            reason_kind="redemption",
            idem_key="spent-12",
            now=now - timedelta(days=5),
        )
    # 35 earned over a year ago, 12 of them spent: 23 expire, the 20 recent points stay
    async with transaction(factory) as s:
        expired = await expiry.expire_due(s, expiry_days=rules.expiry_days, now=now)
    assert [(e.kind, e.amount) for e in expired] == [("expire", -23)]
    assert await balance(factory, "res-1") == (20, 0)
    async with transaction(factory) as s:
        assert await expiry.expire_due(s, expiry_days=rules.expiry_days, now=now) == []
    later = now + timedelta(days=360)
    async with transaction(factory) as s:
        again = await expiry.expire_due(s, expiry_days=rules.expiry_days, now=later)
    assert [e.amount for e in again] == [-20]
    assert await balance(factory, "res-1") == (0, 0)


async def test_hash_chain_verifies_and_detects_tampering(factory: Factory) -> None:
    await seed_basics(factory)
    for account in ("res-1", "res-2"):
        for n in (10, 20, 30):
            await give(factory, account, n)
    async with factory() as s:
        report = await chain.verify_chain(s)
    assert (report.ok, report.entries, report.problems) == (True, 6, [])
    async with transaction(factory) as s:  # someone edits an amount behind the service's back
        second = (
            await s.execute(select(Entry.id).where(Entry.account_id == "res-2", Entry.version == 2))
        ).scalar_one()
        await s.execute(text("UPDATE entries SET amount = 200 WHERE id = :id"), {"id": second})
    async with factory() as s:
        report = await chain.verify_chain(s)
    assert not report.ok
    assert f"res-2: entry {second} was altered" in report.problems
    assert all(p.startswith("res-2") for p in report.problems)
    async with transaction(factory) as s:  # and deletes the first row of the other account
        await s.execute(delete(Entry).where(Entry.account_id == "res-1", Entry.version == 1))
    async with factory() as s:
        report = await chain.verify_chain(s)
        count = (await s.execute(select(func.count()).select_from(Entry))).scalar_one()
    assert count == 5
    assert any(p.startswith("res-1") and "breaks the chain" in p for p in report.problems)
    assert "res-1: cached balance does not match the entries" in report.problems


async def test_hold_is_posted_on_hand_over_or_released_on_expiry(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    await give(factory, "res-1", 40)
    now = ledger.utcnow()
    receipts = []
    async with transaction(factory) as s:
        for n in range(2):
            code = (await supermarket.issue_code(s, account_id="res-1", rules=rules)).code
            body = RedemptionCreate(
                code=code,
                item_id="soap",
                quantity=2,
                clerk_id="clerk-1",
                hold=True,
                idempotency_key=f"hold-{n}-key",
            )
            receipts.append(await supermarket.redeem(s, body, rules, now=now))
    assert [r.status for r in receipts] == ["held", "held"]
    assert await balance(factory, "res-1") == (20, 20)
    assert await stock(factory, "soap") == 6
    async with transaction(factory) as s:
        done = await supermarket.hand_over(s, redemption_id=receipts[0].id, clerk_id="clerk-1")
    assert done.status == "completed"
    assert await balance(factory, "res-1") == (20, 10)
    async with transaction(factory) as s:
        voided = await supermarket.void_expired_holds(s, now=now + timedelta(minutes=61))
    assert voided == 1
    assert await balance(factory, "res-1") == (30, 0)
    assert await stock(factory, "soap") == 8
    async with factory() as s:
        day = await supermarket.daily_list(
            s,
            clerk_id="clerk-1",
            day=receipts[0].created_at.astimezone(rules.tz).date().isoformat(),
        )
        assert (await chain.verify_chain(s)).ok
    assert [r.status for r in day.redemptions] == ["completed", "voided"]
    assert (day.total_points, day.total_items) == (10, 2)
    assert (await outbox_keys(factory)).count("points.redeemed") == 1


async def test_expired_code_is_refused_and_changes_nothing(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    await give(factory, "res-1", 50)
    issued = ledger.utcnow() - timedelta(minutes=rules.redemption_code_minutes + 1)
    async with transaction(factory) as s:
        code = (await supermarket.issue_code(s, account_id="res-1", rules=rules, now=issued)).code
    body = RedemptionCreate(
        code=code, item_id="soap", clerk_id="clerk-1", idempotency_key="late-code-1"
    )
    with pytest.raises(Refused, match="expired"):
        async with transaction(factory) as s:
            await supermarket.redeem(s, body, rules)
    assert await balance(factory, "res-1") == (50, 0)
    assert await stock(factory, "soap") == 10


def test_the_one_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    migrate.upgrade("points", url)
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    migrate.downgrade("points", url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["alembic_version"]
    engine.dispose()
