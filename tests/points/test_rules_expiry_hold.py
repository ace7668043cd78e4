"""The expiry period and the redemption hold as versioned rules (SQLite and PostgreSQL): each is
checked with the field and the reason, left out it keeps the value in force, and a saved value
applies to what comes after it only — points expire after the period of the version they were
earned under (`entries.rules_version`; an adjustment: the version in force when it was made),
a hold made before keeps its end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.points import expiry, ledger, supermarket
from services.points import rule_versions as rv
from services.points.models import Entry
from services.points.rules import Rules
from shared.contracts.points import RedemptionCreate, RedemptionRead
from shared.contracts.points_rules import EarningRules
from shared.db import transaction
from tests.points.conftest import PointsApp, seed_basics
from tests.points.test_ledger import Factory, balance
from tests.points.test_rules_versions import BASE, RICHER


def test_the_hold_and_the_expiry_are_checked_or_kept_as_in_force() -> None:
    bad: dict[str, Any] = {**RICHER, "redemption_hold_minutes": 0, "expiry_days": True}
    with pytest.raises(rv.Invalid) as caught:
        rv.check_rules(bad)
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        (
            "redemption_hold_minutes",
            "a hold waits a whole number of minutes from 1 to 10080",
        ),
        ("expiry_days", "points last a whole number of days from 0 (never expire) to 3660"),
    ]
    in_force = EarningRules.model_validate(
        {**RICHER, "redemption_hold_minutes": 45, "expiry_days": 90}
    )
    kept = rv.check_rules(RICHER, in_force)
    assert (kept.redemption_hold_minutes, kept.expiry_days) == (45, 90)
    changed = rv.check_rules({**RICHER, "expiry_days": 0}, in_force)
    assert (changed.redemption_hold_minutes, changed.expiry_days) == (45, 0)


async def credit(
    factory: Factory, key: str, amount: int, days_ago: float, version: int | None
) -> None:
    """An award priced by `version`, or (None) an adjustment, which names no version."""
    at = ledger.utcnow() - timedelta(days=days_ago)
    async with transaction(factory) as s:
        if version is None:
            await ledger.post(
                s,
                account_id="res-1",
                kind="adjust",
                amount=amount,
                reason_kind="adjustment",
                idem_key=key,
                now=at,
            )
        else:
            await ledger.credit_once(
                s,
                account_id="res-1",
                amount=amount,
                reason_kind="mediation",
                idem_key=key,
                now=at,
                rules_version=version,
            )


async def test_points_expire_after_the_period_they_were_earned_under(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)  # the file: points last 365 days
    now = ledger.utcnow()
    await credit(factory, "file-200", 30, 200, 0)
    async with transaction(factory) as s:
        short = {**RICHER, "expiry_days": 30}
        await rv.save(
            s,
            rules=rv.check_rules(short, rv.earning_of(rules)),
            author_id="admin-1",
            reason="积分三十天内有效",
            now=now - timedelta(days=150),
            file_rules=rules,
        )
    await credit(factory, "v1-100", 20, 100, 1)
    await credit(factory, "adjust-120", 7, 120, None)  # made while version 1 was in force
    await credit(factory, "v1-10", 5, 10, 1)
    async with transaction(factory) as s:
        periods = await rv.expiry_periods(s, rules)
        expired = await expiry.expire_due(s, now=now, periods=periods)
    # version 1's points older than 30 days go; the file's 200-day-old points last 365
    assert [e.amount for e in expired] == [-27]
    assert await balance(factory, "res-1") == (35, 0)
    async with transaction(factory) as s:
        assert await expiry.expire_due(s, now=now, periods=periods) == []
    later = now + timedelta(days=170)  # the file's points are 370 days old, the last 180
    async with transaction(factory) as s:
        again = await expiry.expire_due(s, now=later, periods=periods)
    assert [e.amount for e in again] == [-35]
    async with factory() as s:
        kinds = (await s.execute(select(Entry.kind).order_by(Entry.version))).scalars().all()
    assert list(kinds) == ["earn", "earn", "adjust", "earn", "expire", "expire"]


async def test_a_new_hold_waits_as_long_as_the_version_says(factory: Factory, rules: Rules) -> None:
    await seed_basics(factory)
    await credit(factory, "give-40", 40, 1, 0)
    now = ledger.utcnow()

    async def hold(key: str) -> RedemptionRead:
        async with transaction(factory) as s:
            in_force = await rv.in_force(s, rules)
            code = (await supermarket.issue_code(s, account_id="res-1", rules=in_force)).code
            body = RedemptionCreate(
                code=code,
                item_id="soap",
                quantity=1,
                clerk_id="clerk-1",
                hold=True,
                idempotency_key=key,
            )
            return await supermarket.redeem(s, body, in_force, now=now)

    before = await hold("hold-before")
    async with transaction(factory) as s:
        await rv.save(
            s,
            rules=rv.check_rules({**RICHER, "redemption_hold_minutes": 15}, rv.earning_of(rules)),
            author_id="admin-1",
            reason="取货等待缩短到一刻钟",
            now=now,
            file_rules=rules,
        )
    after = await hold("hold-after")
    assert before.hold_expires_at == now + timedelta(minutes=60)
    assert after.hold_expires_at == now + timedelta(minutes=15)
    async with transaction(factory) as s:
        assert await supermarket.void_expired_holds(s, now=now + timedelta(minutes=16)) == 1
    assert await balance(factory, "res-1") == (35, 5)


async def test_the_internal_api_versions_the_hold_and_the_expiry(points_app: PointsApp) -> None:
    http = points_app.client
    body = {"rules": {**RICHER, "expiry_days": -1}, "reason": "积分有效期", "author_id": "a"}
    r = await http.post(BASE, json=body)
    assert r.status_code == 422
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [
        (
            ["body", "rules", "expiry_days"],
            "points last a whole number of days from 0 (never expire) to 3660",
        )
    ]
    assert (await http.get(BASE)).json()["rules"]["expiry_days"] == 365  # the file's
    r = await http.post(BASE, json={**body, "rules": {**RICHER, "expiry_days": 730}})
    assert r.status_code == 201, r.text
    assert (r.json()["rules"]["expiry_days"], r.json()["rules"]["redemption_hold_minutes"]) == (
        730,
        60,
    )
    versions = (await http.get(f"{BASE}/versions")).json()
    assert [(v["version"], v["rules"]["expiry_days"]) for v in versions] == [(1, 730), (0, 365)]
