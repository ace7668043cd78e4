"""The points area of the portal against the real points service, in-process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from services.points import ledger
from services.points.api import create_app
from services.points.models import Group, GroupMember, Item, Patrol, PatrolMember, Village
from services.portal.areas import _points_backend as pb
from services.portal.areas.points import NAV
from shared.config import PointsSettings
from shared.db import transaction
from shared.demo import demo_accounts
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL
from tests.points.conftest import RULES
from tests.portal.conftest import PortalFactory, PortalHarness, portal_factory

__all__ = ["portal_factory"]  # the portal engineer's fixture, used here

DEMO = {a.role: a for a in demo_accounts()}
VILLAGE = DEMO["clerk"].village or ""
RESIDENT = DEMO["resident"].user_id
TEMPLATES = Path(__file__).resolve().parents[2] / "services/portal/templates/points"


def area_msgids() -> set[str]:
    """Every msgid of this area: templates, label tables, NAV (other areas are not ours)."""
    found: set[str] = set()
    for f in TEMPLATES.glob("*.html"):
        found |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"', f.read_text(encoding="utf-8")))
    for table in (pb.REASON_LABELS, pb.KIND_LABELS, pb.STATUS_LABELS, pb.RATING_LABELS):
        found |= set(table.values())
    return found | {label for _, label, _ in NAV}


@pytest.fixture
def points_backend(tmp_path: Path, exchange: str) -> FastAPI:
    settings = PointsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'points.db'}",
        amqp_url=AMQP_URL,
        exchange=exchange,
    )
    return create_app(settings, rules=RULES)


@pytest.fixture
async def h(portal_factory: PortalFactory, points_backend: FastAPI) -> AsyncIterator[PortalHarness]:
    points = points_backend
    async with portal_factory(backends={"points": points}) as harness:
        rt: ServiceRuntime = points.state.runtime
        async with transaction(rt.factory) as s:
            s.add(
                Group(
                    code="G01", name="头营镇六盘义警", village_code=VILLAGE, leader_id="leader-G01"
                )
            )
            await s.flush()
            for user_id, name in ((RESIDENT, "马秀英"), ("vol-1", "何建国")):
                s.add(GroupMember(group_code="G01", user_id=user_id, display_name=name))
            s.add(
                Item(
                    id="rice",
                    village_code=VILLAGE,
                    shop="蒋河村爱心超市",
                    name="大米",
                    price=20,
                    stock=5,
                )
            )
            s.add(Item(id="far", village_code="VXX", shop="别村", name="油", price=1, stock=5))
            await ledger.ensure_account(s, RESIDENT, display_name="马秀英", village_code=VILLAGE)
            s.add(Village(code=VILLAGE, name="蒋河村", station_code=DEMO["officer"].station or ""))
            s.add(Village(code="VXX", name="别村", station_code="SXX99"))
            s.add(Group(code="G99", name="别村义警", village_code="VXX", leader_id="leader-G99"))
        yield harness


async def add_foreign_patrol(points: FastAPI) -> str:
    """A pending patrol in a village of another station."""
    rt: ServiceRuntime = points.state.runtime
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    async with transaction(rt.factory) as s:
        s.add(
            Patrol(
                id="p-far",
                group_code="G99",
                leader_id="leader-G99",
                village_code="VXX",
                started_at=start,
                ended_at=start + timedelta(hours=2),
                day="2026-11-20",
                notes="",
                status="pending",
            )
        )
        await s.flush()
        s.add(PatrolMember(patrol_id="p-far", user_id="vol-far", minutes=120, points=0))
    return "p-far"


async def test_resident_earns_by_patrol_and_tip_then_redeems_at_the_counter(
    h: PortalHarness, points_backend: FastAPI
) -> None:
    leader, officer = await h.api("group_leader"), await h.api("officer")
    resident, clerk = await h.api("resident"), await h.api("clerk")
    r = await leader.post(
        "/api/v1/patrols",
        json={
            "group_code": "G01",
            "member_ids": [RESIDENT, "vol-1"],
            "started_at": "2026-11-20T19:00:00+08:00",
            "ended_at": "2026-11-20T22:00:00+08:00",
            "notes": "村口夜巡",
        },
    )
    assert r.status_code == 201, r.text
    patrol_id = r.json()["id"]
    assert (await resident.get("/api/v1/points/me")).json()["account"]["balance"] == 0
    assert (await resident.post(f"/api/v1/patrols/{patrol_id}/cosign")).status_code == 403
    assert (await officer.post(f"/api/v1/patrols/{patrol_id}/cosign")).status_code == 200
    elsewhere = await add_foreign_patrol(points_backend)
    refused = await officer.post(f"/api/v1/patrols/{elsewhere}/cosign")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "this patrol is outside your station"},
    )
    tip = await resident.post("/api/v1/tips", json={"text": "有陌生车辆夜间在村里转悠"})
    assert tip.status_code == 201, tip.text
    rated = await officer.post(f"/api/v1/tips/{tip.json()['id']}/rate", json={"rating": "useful"})
    assert rated.json()["points"] == 20
    again = await officer.post(f"/api/v1/tips/{tip.json()['id']}/rate", json={"rating": "useful"})
    assert again.status_code == 200  # the same rating twice changes nothing
    me = (await resident.get("/api/v1/points/me")).json()
    assert me["account"]["balance"] == 32  # 3 h x 4 + 20
    assert sorted(e["reason_kind"] for e in me["entries"]) == ["patrol", "tip"]

    code = (await resident.post("/api/v1/points/me/codes")).json()["code"]
    bad = await clerk.post("/api/v1/redemptions", json={"code": "12ab", "item_id": "rice"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "code"
    other = await clerk.post("/api/v1/redemptions", json={"code": code, "item_id": "far"})
    assert other.status_code == 403
    assert (
        await resident.post("/api/v1/redemptions", json={"code": code, "item_id": "rice"})
    ).status_code == 403
    r = await clerk.post("/api/v1/redemptions", json={"code": code, "item_id": "rice"})
    assert r.status_code == 201, r.text
    assert (r.json()["points"], r.json()["balance_after"]) == (20, 12)
    reuse = await clerk.post("/api/v1/redemptions", json={"code": code, "item_id": "rice"})
    assert (reuse.status_code, reuse.json()["detail"]) == (409, "unknown, used or expired code")
    items = (await resident.get("/api/v1/supermarket/items")).json()
    assert [(i["name"], i["stock"]) for i in items] == [("大米", 4)]


async def test_pages_code_at_the_counter_without_revealing_why(h: PortalHarness) -> None:
    admin = await h.api("admin")
    r = await admin.post(
        "/api/v1/points/adjustments",
        json={"account_id": RESIDENT, "amount": 50, "reason": "举报线索奖励"},
    )
    assert r.status_code == 201, r.text
    browser = await h.login("resident")
    page = await browser.get("/points")
    assert page.status_code == 200
    assert re.search(r'id="balance">50<', page.text)
    shown = await h.post_form(browser, "/points/code", {})
    code = re.search(r'id="code">(\d{8})<', shown.text)
    assert code, shown.text

    clerk = await h.login("clerk")
    counter = await clerk.get("/redeem", params={"code": code.group(1)})
    assert counter.status_code == 200
    assert "马秀英" in counter.text and "50" in counter.text
    assert "举报线索奖励" not in counter.text
    receipt = await h.post_form(
        clerk,
        "/redeem",
        {"code": code.group(1), "item_id": "rice", "quantity": "2", "key": "k-counter-1"},
    )
    assert receipt.status_code == 200, receipt.text
    assert "举报线索奖励" not in receipt.text
    assert re.search(r"<dd>10</dd>", receipt.text)  # balance left
    after = await clerk.get("/redeem")
    assert "马秀英" in after.text and "大米 × 2" in after.text  # the clerk's daily list
    mine = await browser.get("/points")
    assert "举报线索奖励" in mine.text  # the resident does see why
    assert re.search(r'id="balance">10<', mine.text)
    assert "我的积分" in mine.text
    await h.post_form(browser, "/lang", {"language": "en", "next": "/points"})
    assert "My points" in (await browser.get("/points")).text


async def test_every_page_of_the_area_renders_translated_for_each_role(h: PortalHarness) -> None:
    translator = h.app.state.portal.translator
    translator.seen.clear()
    visits = {
        "resident": ["/points", "/supermarket", "/tips/new"],
        "group_leader": ["/points", "/patrols", "/supermarket"],
        "officer": ["/patrols", "/tips"],
        "station_chief": ["/patrols", "/tips", "/points/figures"],
        "clerk": ["/redeem", "/supermarket"],
        "admin": ["/points/figures", "/points/admin", f"/points/admin?account={RESIDENT}"],
    }
    for who, paths in visits.items():
        client = await h.login(who)
        for path in paths:
            r = await client.get(path)
            assert r.status_code == 200, (who, path, r.text[:300])
        assert (await client.get("/redeem")).status_code == (200 if who == "clerk" else 403)
    ours = area_msgids()
    assert translator.missing("zh_CN", sorted(translator.seen & ours)) == []
    assert len(translator.seen & ours) > 40
    admin = await h.api("admin")
    chain = (await admin.get("/api/v1/points/chain")).json()
    assert chain["ok"] is True


async def test_admin_adjusts_and_reverses_with_a_reason(h: PortalHarness) -> None:
    admin = await h.login("admin")
    r = await h.post_form(
        admin,
        "/points/admin/adjust",
        {"account_id": RESIDENT, "amount": "30", "reason": "补录巡防积分", "key": "adm-key-1"},
    )
    assert r.status_code == 303
    r = await admin.get(r.headers["location"])
    assert re.search(r'id="balance">30<', r.text) and "补录巡防积分" in r.text
    entry_id = re.search(r'name="entry_id" value="([^"]+)"', r.text)
    assert entry_id
    no_reason = await h.post_form(
        admin, "/points/admin/reverse", {"account_id": RESIDENT, "entry_id": entry_id.group(1)}
    )
    assert no_reason.status_code == 422
    r = await h.post_form(
        admin,
        "/points/admin/reverse",
        {"account_id": RESIDENT, "entry_id": entry_id.group(1), "reason": "重复录入"},
    )
    r = await admin.get(r.headers["location"])
    assert re.search(r'id="balance">0<', r.text) and "重复录入" in r.text
    again = await h.post_form(
        admin,
        "/points/admin/reverse",
        {"account_id": RESIDENT, "entry_id": entry_id.group(1), "reason": "再来一次"},
    )
    assert again.status_code == 409
    resident = await h.login("resident")
    assert (await resident.get("/points/admin")).status_code == 403


async def test_leader_adds_a_registered_resident_by_phone(
    h: PortalHarness, points_backend: FastAPI
) -> None:
    rt: ServiceRuntime = points_backend.state.runtime
    async with transaction(rt.factory) as s:
        await s.execute(delete(GroupMember).where(GroupMember.user_id == RESIDENT))
    leader = await h.login("group_leader")
    before = await leader.get("/patrols")
    assert f'name="member_ids" value="{RESIDENT}"' not in before.text
    unknown = await h.post_form(
        leader, "/patrols/members", {"group_code": "G01", "phone": "13800000000"}
    )
    assert unknown.status_code == 422
    assert "no registered resident has this phone number" in unknown.text
    phone = DEMO["resident"].phone or ""
    foreign = await h.post_form(leader, "/patrols/members", {"group_code": "G99", "phone": phone})
    assert foreign.status_code == 403  # G99 is led by someone else
    r = await h.post_form(leader, "/patrols/members", {"group_code": "G01", "phone": phone})
    assert r.status_code == 303
    again = await h.post_form(leader, "/patrols/members", {"group_code": "G01", "phone": phone})
    assert again.status_code == 303
    page = await leader.get("/patrols")
    assert page.text.count(f'name="member_ids" value="{RESIDENT}"') == 1
