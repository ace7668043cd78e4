"""The points earning rules on the admin pages and in /api/v1/admin, against the portal and the
points service: preview from the ledger, refusal with the field and the reason, the audit, the
role checks — and, across services over the real broker, a dispute closed after a rule change
(the disputes service's outbox → RabbitMQ → the points consumer) earns the new amount."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.disputes.api import create_app as create_disputes_app
from services.disputes.models import outbox as disputes_outbox
from services.points import ledger
from services.points.api import create_app as create_points_app
from services.points.models import Item, Redemption
from services.portal.models import AuditEntry
from shared.config import DisputesSettings, PointsSettings
from shared.db import make_engine, make_session_factory, transaction
from shared.messaging.contracts.disputes import DisputeClosed
from shared.messaging.outbox import add_event
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness

PAGE = "/admin/rules/points"
API = "/api/v1/admin/rules/points"
ADMIN = ACCOUNTS["admin"].user_id
FILE_RULES: dict[str, Any] = {
    "mediation_help": 10,
    "follow_up_help": 5,
    "screening_report": 5,
    "patrol_points_per_hour": 4,
    "patrol_daily_cap": 20,
    "tip_points": {"not_useful": 0, "useful": 20, "led_to_case": 50},
}


@dataclass
class Stack:
    portal: PortalHarness
    points: FastAPI
    disputes_url: str

    async def close_case(self, case: str, *helpers: str) -> None:
        """What the disputes service does when a case closes: the event in its outbox."""
        engine = make_engine(self.disputes_url)
        event = DisputeClosed(
            case_id=case,
            case_no=f"YZ-2026-{case}",
            colour="green",
            stage="closed",
            village_code="VYZ0101",
            settlement="双方和解",
            helper_ids=list(helpers),
        )
        async with transaction(make_session_factory(engine)) as s:
            await add_event(s, disputes_outbox, event)
        await engine.dispose()

    async def entries(self, account: str) -> list[tuple[int, int | None]]:
        r = await self.portal.clients.points.get(f"/internal/v1/accounts/{account}/history")
        return [(e["amount"], e["rules_version"]) for e in reversed(r.json()["entries"])]


@pytest.fixture
async def stack(
    portal_factory: PortalFactory, sqlite_url: Callable[[str], str], exchange: str
) -> AsyncIterator[Stack]:
    disputes_url = sqlite_url("disputes")  # migrated by the app's start
    disputes = create_disputes_app(
        DisputesSettings(
            database_url=disputes_url,
            exchange=exchange,
            amqp_url=AMQP_URL,
            relay_interval_seconds=0.1,
        )
    )
    points = create_points_app(
        PointsSettings(
            database_url=sqlite_url("points"),
            amqp_url=AMQP_URL,
            exchange=exchange,
            relay_interval_seconds=0.1,
        )
    )
    async with portal_factory(backends={"points": points, "disputes": disputes}) as h:
        rt: ServiceRuntime = points.state.runtime

        async def consuming() -> bool:
            return rt.consumer is not None

        await eventually(consuming)
        yield Stack(h, points, disputes_url)


def form_of(html: str) -> dict[str, str]:
    form = html[html.index('id="rules-form"') :]
    form = form[: form.index("</form>")]
    data = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', form))
    data.pop("csrf_token", None)
    return data


async def test_a_dispute_closed_after_a_rule_change_earns_the_new_amount(stack: Stack) -> None:
    await stack.close_case("0001", "res-a")

    async def credited(n: int) -> bool:
        return len(await stack.entries("res-a")) == n

    await eventually(lambda: credited(1), 30)
    api = await stack.portal.api("admin")
    current = (await api.get(API)).json()
    in_file = {**FILE_RULES, "redemption_hold_minutes": 60, "expiry_days": 0}
    assert (current["version"], current["rules"]) == (0, in_file)
    r = await api.post(
        API, json={"rules": {**FILE_RULES, "expiry_days": 5000}, "reason": "积分有效期调整"}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "field": "rules.expiry_days",
            "reason": "points last a whole number of days from 0 (never expire) to 3660",
            "type": "value_error",
        }
    ]
    bad = {**FILE_RULES, "tip_points": {**FILE_RULES["tip_points"], "useful": 10_001}}
    r = await api.post(API, json={"rules": bad, "reason": "线索奖励调整"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "field": "rules.tip_points.useful",
            "reason": "points are a whole number from 0 to 10000",
            "type": "value_error",
        }
    ]
    r = await api.post(f"{API}/preview", json={"rules": {**FILE_RULES, "bonus": 1}})
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["rules.bonus"]
    r = await api.post(f"{API}/preview", json={"rules": FILE_RULES, "days": 7})
    assert (r.status_code, r.json()["events"], r.json()["proposed_points"]) == (200, 1, 10)
    r = await api.post(API, json={"rules": FILE_RULES, "reason": "同上，仅换版本号"})
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["author_id"]) == (1, ADMIN)
    assert [v["version"] for v in (await api.get(f"{API}/versions")).json()] == [1, 0]
    one = (await api.get(f"{API}/versions/1")).json()
    assert (one["reason"], one["rules"]) == ("同上，仅换版本号", in_file), "left out: as in force"
    assert (await api.get(f"{API}/versions/9")).status_code == 404
    r = await api.post(
        API, json={"rules": {**FILE_RULES, "mediation_help": 25}, "reason": "调解奖励提高"}
    )
    assert (r.status_code, r.json()["version"]) == (201, 2), r.text
    consumer = stack.points.state.runtime.consumer
    seen = consumer.handled
    await stack.close_case("0002", "res-a")
    await stack.close_case("0001", "res-a")  # the first closure again: still credited once

    async def both_handled() -> bool:
        return bool(consumer.handled >= seen + 2)

    await eventually(both_handled, 30)
    assert await stack.entries("res-a") == [(10, 0), (25, 2)]
    account = (await stack.portal.clients.points.get("/internal/v1/accounts/res-a")).json()
    assert account["balance"] == 35


async def test_preview_then_save_on_the_page(stack: Stack) -> None:
    h = stack.portal
    await stack.close_case("0001", "res-a", "res-b")
    admin = await h.login("admin")

    async def two_awards() -> bool:
        return len(await stack.entries("res-b")) == 1

    await eventually(two_awards, 30)
    page = await admin.get(PAGE)
    assert page.status_code == 200
    assert "现行：第 0 版" in page.text
    data = {**form_of(page.text), "mediation_help": "15", "tip_useful": "30"}
    assert (data["patrol_daily_cap"], data["redemption_hold_minutes"], data["expiry_days"]) == (
        "20",
        "60",
        "0",
    )

    preview = await h.post_form(admin, PAGE, {**data, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert "按这些规则，最近 30 天的 2 个事件将获得 30 积分（实际发放 20 积分）。" in preview.text
    assert (await (await h.api("admin")).get(API)).json()["version"] == 0, (
        "a preview stores nothing"
    )

    bad = await h.post_form(
        admin, PAGE, {**data, "patrol_points_per_hour": "-3", "action": "save", "reason": "x"}
    )
    assert bad.status_code == 422
    assert "积分须为 0 至 10000 之间的整数" in bad.text
    assert "请说明修改原因（5 至 500 个字符）" in bad.text
    assert 'value="-3"' in bad.text, "the form comes back as typed"
    bad = await h.post_form(
        admin, PAGE, {**data, "redemption_hold_minutes": "0", "action": "save", "reason": "暂扣"}
    )
    assert bad.status_code == 422
    assert "暂扣等待时间须为 1 至 10080 之间的整数分钟" in bad.text
    field = re.search(r'<input name="redemption_hold_minutes"[^>]*>', bad.text)
    assert field is not None and 'value="0"' in field[0] and 'aria-invalid="true"' in field[0]

    data |= {"redemption_hold_minutes": "30", "expiry_days": "365"}
    saved = await h.post_form(admin, PAGE, {**data, "action": "save", "reason": "调解奖励提高"})
    assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGE}?saved=1")
    after = await admin.get(saved.headers["location"])
    assert "第 1 版已保存" in after.text and "现行：第 1 版" in after.text
    assert 'name="mediation_help" value="15"' in after.text
    assert 'name="expiry_days" value="365"' in after.text
    in_force = (await (await h.api("admin")).get(API)).json()["rules"]
    assert (in_force["redemption_hold_minutes"], in_force["expiry_days"]) == (30, 365)
    async with h.runtime.factory() as s:
        rows = (
            await s.execute(
                select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.detail).where(
                    AuditEntry.action.startswith("admin.")
                )
            )
        ).all()
    assert [(a, who, d["version"], d["reason"]) for a, who, d in rows] == [
        ("admin.rules.points.saved", ADMIN, 1, "调解奖励提高")
    ]
    await h.post_form(admin, "/lang", {"language": "en", "next": PAGE})
    english = await admin.get(PAGE)
    assert "In force: version 1" in english.text and "Crime tip rated useful" in english.text
    assert 'href="/admin/rules/points"' in (await admin.get("/admin")).text


async def test_only_administrators(stack: Stack) -> None:
    h = stack.portal
    for who in ("clerk", "station_chief"):
        browser = await h.login(who)
        assert (await browser.get(PAGE)).status_code == 403
    api = await h.api("officer")
    assert (await api.get(API)).status_code == 403
    assert (await api.post(API, json={})).status_code == 403
    anonymous = h.client()
    assert (await anonymous.get(API)).status_code == 401
    r = await anonymous.get(PAGE)
    assert (r.status_code, r.headers["location"]) == (303, f"/login?next={PAGE}")
    admin = await h.login("admin")
    no_csrf = await admin.post(PAGE, data={"action": "save", "reason": "无令牌的保存"})
    assert no_csrf.status_code == 403
    assert (await (await h.api("admin")).get(f"{API}/versions")).json()[0]["version"] == 0


async def seed_expiry_and_holds(factory: Any) -> None:
    """Credits 60, 40 and 25 days ago (one account spent 5 ten days ago), and held redemptions
    handed over 10, 45 and 50 minutes after they were made in the window (one not handed
    over, one handed over 45 minutes late before the window)."""
    now = ledger.utcnow()

    def ago(days: float, minutes: float = 0) -> datetime:
        return now - timedelta(days=days) + timedelta(minutes=minutes)

    async with transaction(factory) as s:
        s.add(
            Item(id="rice", village_code="V1", shop="蒋河村爱心超市", name="米", price=5, stock=9)
        )
        for account, amount, days in (("exp-a", 50, 60), ("exp-b", 20, 40), ("exp-c", 30, 25)):
            await ledger.ensure_account(s, account, village_code="V1")
            await ledger.post(
                s,
                account_id=account,
                kind="adjust",
                amount=amount,
                reason_kind="adjustment",
                idem_key=f"seed:{account}",
                now=ago(days),
            )
        await ledger.post(
            s,
            account_id="exp-b",
            kind="redeem",
            amount=-5,
            reason_kind="redemption",
            idem_key="seed:spend",
            now=ago(10),
        )
        await ledger.ensure_account(s, "shopper", village_code="V1")
        await ledger.post(
            s,
            account_id="shopper",
            kind="adjust",
            amount=100,
            reason_kind="adjustment",
            idem_key="seed:shopper",
            now=ago(50),
        )
        for n, days, late in ((1, 10, 10), (2, 9, 45), (3, 8, 50), (4, 7, None), (5, 40, 45)):
            made = ago(days)
            s.add(
                Redemption(
                    id=f"r{n}",
                    receipt_no=f"R{n}",
                    account_id="shopper",
                    item_id="rice",
                    item_name="米",
                    quantity=1,
                    points=5,
                    clerk_id="clerk",
                    village_code="V1",
                    status="held" if late is None else "completed",
                    day=made.date().isoformat(),
                    hold_expires_at=made + timedelta(hours=1),
                    created_at=made,
                )
            )
            await ledger.post(
                s,
                account_id="shopper",
                kind="hold",
                amount=-5,
                held_delta=5,
                reason_kind="redemption",
                ref=f"r{n}",
                idem_key=f"hold:r{n}",
                now=made,
            )
            if late is not None:
                await ledger.post(
                    s,
                    account_id="shopper",
                    kind="redeem",
                    amount=0,
                    held_delta=-5,
                    reason_kind="redemption",
                    ref=f"r{n}",
                    idem_key=f"handover:r{n}",
                    now=ago(days, late),
                )


async def test_the_preview_counts_expiry_and_late_hand_overs(stack: Stack) -> None:
    h = stack.portal
    await seed_expiry_and_holds(stack.points.state.runtime.factory)
    proposed = {**FILE_RULES, "expiry_days": 20, "redemption_hold_minutes": 30}
    r = await (await h.api("admin")).post(f"{API}/preview", json={"rules": proposed})
    assert r.status_code == 200, r.text
    got = r.json()
    # under 20 days: exp-b's 15 left of 20 (earned 40 days ago) and exp-c's 30 (25 days ago)
    # fall due in the window; exp-a's 50 were due already at its start
    assert got["expiry_proposed"] == {"days": 20, "points": 45, "accounts": 2}
    assert got["expiry_current"] == {"days": 0, "points": 0, "accounts": 0}
    assert got["held_redemptions"] == 3
    assert got["hold_proposed"] == {"minutes": 30, "late": 2}
    assert got["hold_current"] == {"minutes": 60, "late": 0}
    r = await (await h.api("admin")).post(
        f"{API}/preview", json={"rules": {**proposed, "expiry_days": 45}, "days": 60}
    )
    # over 60 days under 45: exp-a's 50 (60 days ago) and the shopper's 75 left of 100 (50 days
    # ago; 5 still held); under 20 the shopper's were due before the window began
    assert r.json()["expiry_proposed"] == {"days": 45, "points": 125, "accounts": 2}

    admin = await h.login("admin")
    page = await admin.get(PAGE)
    data = {**form_of(page.text), "expiry_days": "20", "redemption_hold_minutes": "30"}
    preview = await h.post_form(admin, PAGE, {**data, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert (
        "有效期：按 20 天（0 为永不过期），这些天内将有 2 个账户的 45 积分过期；"
        "按现行的 0 天，为 0 个账户的 0 积分。"
    ) in preview.text
    assert (
        "暂扣：这些天内交付的 3 笔暂扣兑换中，有 2 笔晚于 30 分钟交付，将被释放而不交付；"
        "按现行的 60 分钟为 0 笔。"
    ) in preview.text
    await h.post_form(admin, "/lang", {"language": "en", "next": PAGE})
    english = await h.post_form(admin, PAGE, {**data, "action": "preview"})
    assert "45 points of 2 accounts would have expired in these days" in english.text
    assert "2 were handed over later than 30 minutes" in english.text
