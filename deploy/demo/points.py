"""The demo county's points: volunteer patrols over the past weeks (most co-signed by an
officer, the newest waiting), crime tips (most rated), and redemptions at the village shops
(some held until the goods are handed over), through the points service's API."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.demo.stack import SeedError, Stack, demo_id
from shared.demo import VolunteerGroup, demo_accounts, org

TIPS = [
    "村口常有陌生车辆深夜停留，疑似盗窃踩点",
    "有人在集市上推销来路不明的手机",
    "听说有人在网上招募刷单，村里已有人被骗",
    "河滩附近有人私挖砂石",
    "有外地人挨家推销保健品，价格虚高",
]
RATINGS = ["useful", "useful", "led_to_case", "not_useful"]


@dataclass
class PointsOutcome:
    patrols: int = 0
    cosigned: int = 0
    tips: int = 0
    rated: int = 0
    redemptions: int = 0
    stock_alerts: int = 0
    failures: list[str] = field(default_factory=list)


def _officer_of(village_code: str) -> str:
    o = org()
    room = next(r for r in o.rooms if r.village_code == village_code)
    return room.officer_ids[0]


def groups(scale: float) -> list[VolunteerGroup]:
    gs = org().groups
    return gs[: max(1, round(len(gs) * min(1.0, scale)))]


async def _patrols(stack: Stack, g: VolunteerGroup, now: datetime, out: PointsOutcome) -> None:
    rng = random.Random(g.code)
    members = [f"vol-{g.code}-{n:02d}" for n in range(1, 7)]
    officer = _officer_of(g.village_code)
    station = org().by_village[g.village_code].station_code
    count = 6 if g.code == "G01" else 3
    for k in range(count):
        start = (now - timedelta(days=2 + 4 * k, hours=rng.randrange(6))).replace(
            minute=0, second=0, microsecond=0
        )
        body = {
            "group_code": g.code,
            "leader_id": g.leader_id,
            "member_ids": rng.sample(members, rng.randint(2, 4)),
            "village_code": g.village_code,
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(hours=rng.choice([2, 3, 4]))).isoformat(),
            "notes": rng.choice(["夜间巡逻，重点查看村口和学校", "赶集日治安巡逻", "防火巡查"]),
            "idempotency_key": demo_id("patrol", g.code, k),
        }
        patrol = await stack.call(stack.points, "POST", "/internal/v1/patrols", json=body)
        out.patrols += 1
        # the newest two of the demo group wait for the demo officer's co-signature
        if (g.code == "G01" and k < 2) or patrol["status"] != "pending":
            continue
        cosign = {"officer_id": officer, "station_code": station}
        await stack.call(
            stack.points, "POST", f"/internal/v1/patrols/{patrol['id']}/cosign", json=cosign
        )
        out.cosigned += 1


async def _tips(stack: Stack, scale: float, out: PointsOutcome) -> None:
    o = org()
    demo_village = o.village_named("蒋河村")
    rng = random.Random(5)
    villages = [demo_village] * 4 + rng.sample(o.villages, max(1, round(40 * scale)))
    for n, village in enumerate(villages):
        tipster = "res-demo-0001" if n == 0 else f"vol-G{1 + n % 46:02d}-{1 + n % 6:02d}"
        body = {
            "tipster_id": tipster,
            "village_code": village.code,
            "text": rng.choice(TIPS),
            "idempotency_key": demo_id("tip", n),
        }
        tip = await stack.call(stack.points, "POST", "/internal/v1/tips", json=body)
        out.tips += 1
        if (village.code == demo_village.code and n % 2 == 1) or tip.get("rating"):
            continue  # waiting for the demo officer, or rated by an earlier run
        rate = {
            "officer_id": _officer_of(village.code),
            "rating": RATINGS[n % len(RATINGS)],
            "station_code": village.station_code,
        }
        await stack.call(stack.points, "POST", f"/internal/v1/tips/{tip['id']}/rate", json=rate)
        out.rated += 1


async def _redemptions(stack: Stack, out: PointsOutcome) -> None:
    """Volunteers of the demo group spend points at 蒋河村's shop; the newest are held."""
    demo_village = org().village_named("蒋河村")
    clerk = next(a for a in demo_accounts() if a.role == "clerk").user_id
    items = await _items(stack, demo_village.code)
    cheap = sorted(items, key=lambda i: i["price"])[:3]
    buyers = ["res-demo-0001", *[f"vol-G01-{n:02d}" for n in range(1, 7)]]
    for n, buyer in enumerate(buyers):
        account = await stack.call(stack.points, "GET", f"/internal/v1/accounts/{buyer}")
        item = cheap[n % len(cheap)]
        if int(account.get("balance", 0)) < item["price"]:
            continue
        code = await stack.call(stack.points, "POST", f"/internal/v1/accounts/{buyer}/codes")
        body = {
            "code": code["code"],
            "item_id": item["id"],
            "quantity": 1,
            "clerk_id": clerk,
            "hold": n % 3 == 0,
            "idempotency_key": demo_id("redeem", buyer),
        }
        try:
            await stack.call(stack.points, "POST", "/internal/v1/redemptions", json=body)
        except SeedError as exc:
            out.failures.append(str(exc))
        else:
            out.redemptions += 1
    # the shop's cheapest goods go fastest: the admin sets its low-stock mark where the stock
    # now is, so the group leader and the clerk are told to restock (once per shortage)
    fastest = cheap[0]
    item = next(i for i in await _items(stack, demo_village.code) if i["id"] == fastest["id"])
    await stack.call(
        stack.points,
        "PATCH",
        f"/internal/v1/admin/items/{item['id']}",
        actor=next(a for a in demo_accounts() if a.role == "admin").user_id,
        json={"low_at": max(int(item["stock"]), 1)},
    )
    out.stock_alerts += 1


async def _items(stack: Stack, village_code: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = await stack.call(
        stack.points, "GET", "/internal/v1/items", params={"village_code": village_code}
    )
    return items


async def seed_points(
    stack: Stack,
    scale: float,
    *,
    now: datetime | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> PointsOutcome:
    now = now or datetime.now(UTC)
    out = PointsOutcome()
    gate = asyncio.Semaphore(6)

    async def patrols(g: VolunteerGroup) -> None:
        async with gate:
            try:
                await _patrols(stack, g, now, out)
            except SeedError as exc:
                out.failures.append(str(exc))

    async def tips() -> None:
        await _tips(stack, scale, out)
        progress(1)

    async def patrols_then_redemptions() -> None:
        # redemptions spend what the demo group's patrols earned
        await asyncio.gather(*(patrols(g) for g in groups(scale)))
        progress(1)
        await _redemptions(stack, out)
        progress(1)

    await asyncio.gather(patrols_then_redemptions(), tips())
    return out
