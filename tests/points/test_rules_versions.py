"""Earning rules as data in the points service (SQLite and PostgreSQL): validation names the
field and the reason, a saved version prices what is awarded after it (and the ledger keeps
the version), a redelivered event still credits once, and the preview prices last month's
awards from the ledger under both rule sets."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points import chain, ledger, rules_preview, service, volunteers
from services.points import rule_versions as rv
from services.points.models import Entry
from services.points.rules import Rules
from shared.contracts.points import TipCreate
from shared.contracts.points_rules import EarningRules, PointsRulesVersionRead
from shared.db import transaction
from shared.messaging.contracts.disputes import DisputeClosed
from tests.points.conftest import PointsApp, seed_basics
from tests.points.test_earning import balances, shift

Factory = async_sessionmaker[AsyncSession]
API = "/internal/v1"
BASE = f"{API}/admin/rules/points"
RICHER = {
    "mediation_help": 15,
    "follow_up_help": 5,
    "screening_report": 5,
    "patrol_points_per_hour": 6,
    "patrol_daily_cap": 30,
    "tip_points": {"not_useful": 2, "useful": 25, "led_to_case": 50},
}


def closed(case: str, *helpers: str) -> DisputeClosed:
    return DisputeClosed(
        case_id=case,
        case_no=f"YZ-2026-{case}",
        colour="green",
        stage="closed",
        village_code="V1",
        settlement="双方和解",
        helper_ids=list(helpers),
    )


async def save_richer(factory: Factory, reason: str) -> PointsRulesVersionRead:
    """An administrator saves RICHER as a new version."""
    async with transaction(factory) as s:
        return await rv.save(
            s,
            rules=EarningRules.model_validate(RICHER),
            author_id="admin-1",
            reason=reason,
            now=ledger.utcnow(),
        )


def test_every_problem_names_its_field_and_reason() -> None:
    raw: dict[str, Any] = {
        "mediation_help": -1,
        "follow_up_help": True,
        "screening_report": "5",
        "patrol_points_per_hour": 10_001,
        "bonus": 3,
        "tip_points": {"useful": 20, "led_to_case": 2.5, "great": 1},
    }
    with pytest.raises(rv.Invalid) as caught:
        rv.check_rules(raw)
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("bonus", "unknown field bonus"),
        ("mediation_help", "points are a whole number from 0 to 10000"),
        ("follow_up_help", "points are a whole number from 0 to 10000"),
        ("screening_report", "points are a whole number from 0 to 10000"),
        ("patrol_points_per_hour", "points are a whole number from 0 to 10000"),
        ("patrol_daily_cap", "give the points for this"),
        ("tip_points.great", "unknown field great"),
        ("tip_points.not_useful", "give the points for this"),
        ("tip_points.led_to_case", "points are a whole number from 0 to 10000"),
    ]
    assert rv.check_rules(RICHER) == EarningRules.model_validate(RICHER)


async def test_a_saved_version_prices_what_is_awarded_after_it(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    async with transaction(factory) as s:
        before = await rv.in_force(s, rules)
        await service.credit_dispute_event(s, closed("0001", "m1"), before)
    saved = await save_richer(factory, "调解奖励提高")
    assert (saved.version, saved.author_id, saved.reason) == (1, "admin-1", "调解奖励提高")
    async with transaction(factory) as s:
        now = await rv.in_force(s, rules)
        assert (now.version, now.mediation_help, now.expiry_days) == (1, 15, rules.expiry_days)
        # the same closure again (a redelivery under another message id) credits nothing
        assert await service.credit_dispute_event(s, closed("0001", "m1"), now) == 0
        await service.credit_dispute_event(s, closed("0002", "m1"), now)
        patrol = await volunteers.log_patrol(s, shift(8, 2, ["m2"], "patrol-v1"), now)
        await volunteers.cosign_patrol(s, patrol_id=patrol.id, officer_id="off-1", rules=now)
        tip = await service.submit_tip(
            s,
            TipCreate(
                tipster_id="m3",
                village_code="V1",
                text="村口有人偷运电缆",
                idempotency_key="tip-v1-0001",
            ),
        )
        await service.rate_tip(s, tip_id=tip.id, officer_id="off-1", rating="useful", rules=now)
    assert await balances(factory, "m1", "m2", "m3") == [10 + 15, 12, 25]
    async with factory() as s:
        priced = (
            await s.execute(
                select(Entry.account_id, Entry.amount, Entry.rules_version)
                .where(Entry.kind == "earn", Entry.account_id.not_like("group:%"))
                .order_by(Entry.account_id, Entry.version)
            )
        ).all()
        assert [tuple(r) for r in priced] == [
            ("m1", 10, 0),
            ("m1", 15, 1),
            ("m2", 12, 1),
            ("m3", 25, 1),
        ]
        assert (await chain.verify_chain(s)).ok
        assert [v.version for v in await rv.versions(s, rules)] == [1, 0]
        assert (await rv.current(s, rules)).rules.mediation_help == 15


async def test_preview_prices_last_months_awards_under_both_rule_sets(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    now = ledger.utcnow()
    async with transaction(factory) as s:
        await service.credit_dispute_event(s, closed("0001", "m1", "m2"), rules)  # 2 x 10
        await ledger.ensure_account(s, "res-old")
        await ledger.credit_once(  # 40 days ago: outside the month
            s,
            account_id="res-old",
            amount=10,
            reason_kind="mediation",
            idem_key="dispute.closed:old:res-old",
            now=now - timedelta(days=40),
        )
        for key, hour, hours, members in (("am", 8, 3, ["m1", "m2"]), ("pm", 18, 4, ["m1", "m3"])):
            p = await volunteers.log_patrol(s, shift(hour, hours, members, f"patrol-{key}"), rules)
            await volunteers.cosign_patrol(s, patrol_id=p.id, officer_id="off-1", rules=rules)
        for n, rating in enumerate(("useful", "not_useful")):
            tip = await service.submit_tip(
                s,
                TipCreate(
                    tipster_id="res-1",
                    village_code="V1",
                    text="村口有人偷运电缆",
                    idempotency_key=f"tip-{n}-0000",
                ),
            )
            await service.rate_tip(s, tip_id=tip.id, officer_id="off-1", rating=rating, rules=rules)
    async with factory() as s:
        seen = await rules_preview.preview(
            s,
            proposed=EarningRules.model_validate(RICHER),
            since=now - timedelta(days=30),
            until=now + timedelta(minutes=1),
        )
    kinds = {k.kind: (k.events, k.current_points, k.proposed_points) for k in seen.kinds}
    assert kinds == {
        "mediation": (2, 20, 30),
        "follow_up": (0, 0, 0),
        "screening": (0, 0, 0),
        # 3 h x 4 = 12 each; m1's evening capped at 20 - 12 = 8, m3 16. Proposed 6 an hour,
        # cap 30: 18 each in the morning, m1 12 (30 - 18) and m3 24 in the evening
        "patrol": (4, 12 + 12 + 8 + 16, 18 + 18 + 12 + 24),
        "tip": (2, 20 + 0, 25 + 2),
    }
    totals = (seen.events, seen.current_points, seen.proposed_points, seen.current_version)
    assert totals == (8, 88, 129, 0)


async def test_the_internal_api_refuses_saves_and_lists(points_app: PointsApp) -> None:
    http = points_app.client
    r = await http.post(
        BASE,
        json={"rules": {**RICHER, "mediation_help": -5}, "reason": "no", "author_id": ""},
    )
    assert r.status_code == 422
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [
        (["body", "rules", "mediation_help"], "points are a whole number from 0 to 10000"),
        (["body", "reason"], "say why the rules change (5 to 500 characters)"),
        (["body", "author_id"], "say who changes the rules"),
    ]
    assert [v["version"] for v in (await http.get(f"{BASE}/versions")).json()] == [0]
    r = await http.post(BASE, json={"rules": RICHER, "reason": "调解奖励提高", "author_id": "a"})
    assert r.status_code == 201, r.text
    assert (await http.get(BASE)).json()["rules"]["mediation_help"] == 15
    assert (await http.get(f"{BASE}/versions/0")).json()["rules"]["mediation_help"] == 10
    assert (await http.get(f"{BASE}/versions/7")).status_code == 404
    preview = await http.post(f"{BASE}/preview?days=7", json={"rules": RICHER})
    assert (preview.status_code, preview.json()["events"], preview.json()["current_version"]) == (
        200,
        0,
        1,
    )


async def test_a_save_is_seen_by_the_next_award_which_reads_no_version(
    points_app: PointsApp,
) -> None:
    c = points_app.client
    rt = points_app.app.state.runtime
    points_app.app.state.rules_in_force.max_age = 3600.0  # a slow machine: no re-read by age
    await seed_basics(rt.factory)
    reads: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "rules_versions" in statement:
            reads.append(statement)

    async def rated(n: int) -> tuple[int, int | None]:
        tip = await c.post(
            f"{API}/tips",
            json={"tipster_id": "m1", "village_code": "V1", "text": f"村口第{n}条线索",
                  "idempotency_key": f"tip-seen-{n}"},
        )  # fmt: skip
        assert tip.status_code == 201, tip.text
        r = await c.post(
            f"{API}/tips/{tip.json()['id']}/rate", json={"officer_id": "off-1", "rating": "useful"}
        )
        assert r.status_code == 200, r.text
        async with rt.factory() as s:
            entry = (
                await s.execute(
                    select(Entry.amount, Entry.rules_version).where(Entry.ref == tip.json()["id"])
                )
            ).one()
        return entry.amount, entry.rules_version

    event.listen(rt.engine.sync_engine, "before_cursor_execute", on_statement)
    try:
        assert await rated(1) == (20, 0)
        reads.clear()
        assert await rated(2) == (20, 0)
        assert reads == [], "an award with the rules kept reads no version"
        saved = await c.post(
            BASE, json={"rules": RICHER, "reason": "线索奖励提高", "author_id": "admin-1"}
        )
        assert (saved.status_code, saved.json()["version"]) == (201, 1), saved.text
        assert await rated(3) == (25, 1)
    finally:
        event.remove(rt.engine.sync_engine, "before_cursor_execute", on_statement)


async def test_rules_kept_are_read_again_when_old_and_a_read_begun_before_a_save_is_dropped(
    factory: Factory, rules: Rules
) -> None:
    await seed_basics(factory)
    now = [0.0]
    kept = rv.RulesInForce(rules, max_age=5.0, clock=lambda: now[0])
    async with factory() as s:
        assert (await kept.get(s)).version == 0
    assert (await save_richer(factory, "另一进程保存")).version == 1  # this process is not told
    async with factory() as s:
        now[0] = 4.9
        assert (await kept.get(s)).version == 0, "kept for max_age"
        now[0] = 5.0
        assert (await kept.get(s)).mediation_help == 15, "read again once old"
        begun = asyncio.create_task(kept.get(s))  # a read begun (version 1 kept, now old) ...
        now[0] = 10.0
        await asyncio.sleep(0)
        kept.forget()  # ... then a save through this process
        assert (await begun).version == 1
    assert (await save_richer(factory, "另一进程再保存")).version == 2
    async with factory() as s:
        assert (await kept.get(s)).version == 2, "what the earlier read found was not kept"
