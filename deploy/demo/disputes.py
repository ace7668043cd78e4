"""The demo county's disputes: open cases in every stage, colour and township, some reported
earlier in the field and so already late, and closed cases with their return visits. Each
case is started through the disputes service and moved on by the workflow's own updates,
acting as the officer or chief the workflow expects."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from deploy.demo.stack import SeedError, Stack, demo_id
from deploy.demo.trouble import STUCK_KEY, break_channel
from shared.demo import Village, demo_accounts, org
from shared.demo_partners import partner_code_for
from workflows.disputes import client as wf
from workflows.disputes.types import ACTIONS, Actor, CaseView, Category

CATEGORIES: list[Category] = ["neighbours", "land", "marriage_family", "debt", "labour", "other"]
STORIES: dict[str, list[str]] = {
    "neighbours": ["两户因宅基地边界争吵", "邻里因排水沟堵塞起争执", "院墙加高遮挡采光引发矛盾"],
    "land": ["承包地界桩被移动", "退耕还林补贴分配不均", "土地流转租金拖欠"],
    "marriage_family": ["夫妻因彩礼返还争吵", "赡养老人费用分摊纠纷", "分家析产意见不一"],
    "debt": ["农资赊账三年未还", "借款到期不还引发口角", "合伙养牛散伙分账不清"],
    "labour": ["工地拖欠农民工工资", "务工受伤赔偿争议", "雇工工钱结算分歧"],
    "other": ["牛羊啃食庄稼赔偿纠纷", "修路占地补偿争议", "红白喜事噪音扰民"],
}
PARTNERS = ["village_committee", "judicial_office", "womens_federation", "township_government"]
DEMO_PARTNERS = {
    "demo-9": "judicial_office",
    "demo-16": "village_committee",
    "stuck-linkage": "womens_federation",
}

SURNAMES = list("马王李张杨刘何田海苏冯韩白赵周吴孙郭胡黄")
GIVEN = ["建国", "志强", "秀英", "玉兰", "永福", "海燕", "学军", "春梅", "立新", "文华"]
# Where a planned case ends up: (target, share of the open or closed cases).
OPEN_MIX = [
    ("assignment", 0.22),
    ("follow_up", 0.26),
    ("visited", 0.12),
    ("late", 0.14),
    ("linkage", 0.08),
    ("closure_approval", 0.06),
    ("return_visit", 0.12),
]
CLOSED_MIX = [("closed", 0.85), ("relapsed", 0.15)]
COLOURS = [("green", 0.5), ("yellow", 0.32), ("red", 0.18)]
UPDATE_TRIES = 5  # a workflow update whose wait at the server ran out is asked again


@dataclass(frozen=True)
class CasePlan:
    key: str
    village: Village
    target: str
    colour: str
    category: Category
    field_days: float | None = None  # reported that many days ago in the field
    resident_party: str | None = None
    officer_id: str | None = None  # the chief hands the case to this officer, if not theirs


@dataclass
class Outcome:
    started: int = 0
    by_target: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _pick(rng: random.Random, mix: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def plan(scale: float, *, seed: int = 20260601) -> list[CasePlan]:
    """Deterministic: the same scale gives the same cases (so a re-run starts nothing new)."""
    rng = random.Random(seed)
    o = org()
    demo_village = o.village_named("蒋河村")
    resident = next(a for a in demo_accounts() if a.role == "resident")
    officer = next(a for a in demo_accounts() if a.role == "officer")
    plans: list[CasePlan] = []
    # the demo accounts' own station: every stage and colour, some late, some of the resident's
    demo_targets = [
        ("assignment", "red"),
        ("assignment", "green"),
        ("assignment", "yellow"),
        ("assignment", "green"),
        ("follow_up", "yellow"),
        ("visited", "green"),
        ("late", "red"),
        ("late", "yellow"),
        ("late", "green"),
        ("linkage", "yellow"),
        ("closure_approval", "red"),
        ("closure_approval", "red"),
        ("return_visit", "green"),
        ("closed", "yellow"),
        ("closed", "red"),
        ("relapsed", "green"),
        ("linkage", "green"),
    ]
    for n, (target, colour) in enumerate(demo_targets):
        plans.append(
            CasePlan(
                key=f"demo-{n}",
                village=demo_village,
                target=target,
                colour=colour,
                category=CATEGORIES[n % len(CATEGORIES)],
                field_days=_field_days(rng, target),
                resident_party=resident.user_id if n in (4, 12, 13) else None,
                # the demo officer holds all but two of the new ones (those go by load)
                officer_id=None if n in (1, 3) else officer.user_id,
            )
        )
    n_open, n_closed = max(1, round(300 * scale)), max(1, round(120 * scale))
    townships = sorted({(v.county_code, v.township) for v in o.villages})
    villages_of = {
        t: [v for v in o.villages if (v.county_code, v.township) == t] for t in townships
    }
    for i in range(n_open + n_closed):
        town = townships[i % len(townships)]
        target = _pick(rng, OPEN_MIX if i < n_open else CLOSED_MIX)
        colour = "red" if target == "closure_approval" else _pick(rng, COLOURS)
        plans.append(
            CasePlan(
                key=f"county-{i}",
                village=rng.choice(villages_of[town]),
                target=target,
                colour=colour,
                category=rng.choice(CATEGORIES),
                field_days=_field_days(rng, target),
            )
        )
    # after the county's cases, so their draws stay what they were
    plans.append(
        CasePlan(
            key=STUCK_KEY,
            village=demo_village,
            target="linkage",
            colour="yellow",
            category="marriage_family",
            officer_id=officer.user_id,
        )
    )
    return plans


def _field_days(rng: random.Random, target: str) -> float | None:
    """Late cases were heard of in the field well before; closed ones over the past weeks."""
    if target == "late":
        return rng.uniform(10, 25)  # past even green cases' first visit and its grace
    if target in ("closed", "relapsed", "return_visit"):
        return rng.uniform(1, 29)
    return rng.uniform(0.2, 2) if rng.random() < 0.3 else None


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def intake_body(p: CasePlan, *, now: datetime) -> dict[str, Any]:
    rng = random.Random(p.key)
    officer_id = next(r for r in org().rooms if r.code == p.village.police_room_code).officer_ids[0]
    risk: dict[str, Any] = {"people_involved": rng.choice([2, 2, 3, 4])}
    if p.colour == "red":
        risk["threats"] = True
    elif p.colour == "yellow":
        risk[rng.choice(["minors_involved", "elderly_involved"])] = True
    parties = [
        {"name": _name(rng), "phone": f"139{rng.randrange(10**8):08d}", "role": "complainant"},
        {"name": _name(rng), "phone": f"139{rng.randrange(10**8):08d}", "role": "respondent"},
    ]
    if p.resident_party:
        resident = next(a for a in demo_accounts() if a.user_id == p.resident_party)
        parties[0] = {
            "name": resident.display_name,
            "phone": resident.phone or "",
            "role": "complainant",
            "user_id": resident.user_id,
        }
    body: dict[str, Any] = {
        "case_id": demo_id("case", p.key),
        "category": p.category,
        "description": f"{p.village.name}：{rng.choice(STORIES[p.category])}",
        "village_code": p.village.code,
        "parties": parties,
        "households": [
            {"household_id": f"hh-{demo_id('hh', p.key, k)}", "name": x["name"]}
            for k, x in enumerate(parties)
        ],
        "risk": risk,
        "reporter_kind": "officer",
        "reporter_id": officer_id,
    }
    if p.field_days is not None:
        body["reported_in_field_at"] = (now - timedelta(days=p.field_days)).isoformat()
    return body


class Driver:
    """Moves one planned case to its target, one workflow update at a time."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    async def assigned(self, case_id: str) -> dict[str, Any]:
        """The case's row once its workflow has assigned it. Asked of the disputes service's
        own API (its database), not of the workflow: a query is a workflow task for the
        worker, and the worker is the bottleneck of a seeding."""
        last: dict[str, Any] | None = None
        delay = 0.5
        deadline = asyncio.get_running_loop().time() + 180
        while asyncio.get_running_loop().time() < deadline:
            last = await self.stack.call(
                self.stack.disputes, "GET", f"/internal/v1/cases/{case_id}", ok=(404,)
            )
            if last is not None and last["stage"] != "screening" and last["assignee_id"]:
                return last
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        raise SeedError(f"case {case_id} was not assigned in time; last {last}")

    async def act(
        self, case_id: str, step: str, action: str, actor: Actor, **body: Any
    ) -> CaseView:
        payload: BaseModel = ACTIONS[action].model_validate(body)
        key = f"demo-county:{case_id}:{step}"
        for attempt in range(UPDATE_TRIES):
            try:
                return await wf.perform(self.stack.temporal, case_id, action, payload, actor, key)
            except wf.ActionRefused as exc:
                raise SeedError(f"case {case_id}: {action} refused: {exc.reason}") from exc
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                # the server's wait for the worker ran out (a busy machine): ask again, the
                # same update id and key act once
                if attempt == UPDATE_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def start(self, p: CasePlan, *, now: datetime) -> None:
        """Report the case to the disputes service (a case started on an earlier run: no-op)."""
        body = intake_body(p, now=now)
        await self.stack.call(self.stack.disputes, "POST", "/internal/v1/cases", json=body)

    async def drive(self, p: CasePlan) -> None:
        """Move a started case on to its target, acting as the officer or chief it expects."""
        if p.target == "assignment" and not p.officer_id:
            return  # waits for acceptance: its workflow assigns it on its own time
        case_id = demo_id("case", p.key)
        row = await self.assigned(case_id)
        if row["stage"] != "assignment":
            return  # already moved on (an earlier run)
        station, assignee = row["station_code"], row["assignee_id"]
        chief = Actor(user_id=f"chief-{station}", role="station_chief", station_code=station)
        v: CaseView | None = None
        if p.officer_id and assignee != p.officer_id:
            v = await self.act(
                case_id,
                "hand-over",
                "reassign",
                chief,
                officer_id=p.officer_id,
                reason="所长指派本村警务室民警承办",
            )
            assignee = v.assignee_id
        me = Actor(user_id=assignee, role="officer", station_code=station)
        if p.target == "assignment":
            return  # waits for acceptance
        v = await self.act(case_id, "accept", "accept", me)
        rng = random.Random(p.key)
        if p.target == "late":
            return  # its first visit was due on the field schedule: overdue already
        if p.target == "follow_up":
            return
        if p.target in ("visited", "linkage"):
            await self.act(
                case_id,
                "visit-1",
                "follow-up",
                me,
                done=rng.choice(["入户了解情况，双方情绪稳定", "召集双方及村干部座谈"]),
                outcome="progress",
                helper_ids=[f"vol-G{1 + rng.randrange(46):02d}-0{1 + rng.randrange(6)}"],
            )
            if p.target == "linkage":
                # the demo station's two asks go to the demo partner accounts' organisations
                partner = DEMO_PARTNERS.get(p.key) or rng.choice(PARTNERS)
                await self.act(
                    case_id,
                    "link",
                    "link-partner",
                    me,
                    partner=partner,
                    request="请协助调解",
                    partner_code=partner_code_for(partner, p.village.code),
                )
            return
        await self.act(
            case_id,
            "visit-1",
            "follow-up",
            me,
            done="召集双方及村干部调解，双方达成一致",
            outcome="settled",
            helper_ids=[f"vol-G{1 + rng.randrange(46):02d}-0{1 + rng.randrange(6)}"],
        )
        v = await self.act(
            case_id,
            "propose",
            "propose-closure",
            me,
            settlement_kind=rng.choice(["mediation_agreement", "mediation_agreement", "withdrawn"]),
            summary="签订人民调解协议书，当场履行",
        )
        if p.target == "closure_approval":
            return
        if v.stage == "closure_approval":
            v = await self.act(case_id, "approve", "approve-closure", chief, note="同意结案")
        if p.target == "return_visit":
            return
        holds = p.target != "relapsed"
        note = "协议履行良好" if holds else "一方反悔，矛盾再起"
        await self.act(case_id, "return-visit", "return-visit", me, holds=holds, note=note)


async def seed_disputes(
    stack: Stack,
    plans: list[CasePlan],
    *,
    concurrency: int = 16,
    progress: Callable[[int], None] = lambda n: None,
) -> Outcome:
    if any(p.key == STUCK_KEY for p in plans):
        await break_channel(stack)
    driver = Driver(stack)
    gate = asyncio.Semaphore(concurrency)
    out = Outcome()
    now = datetime.now(UTC)
    # Cases are reported ahead of being moved on (at most `ahead` of them waiting): by the time
    # a case's turn comes its workflow has registered and assigned it, so the first look finds
    # it assigned (no asking again and again while the worker catches up). Not all at once: a
    # backlog of hundreds of registrations at the server would hold every update behind it.
    ahead = asyncio.Semaphore(3 * concurrency)
    reporting = asyncio.Semaphore(4)

    async def one(p: CasePlan) -> None:
        async with ahead:
            try:
                async with reporting:
                    await driver.start(p, now=now)
                progress(1)
                async with gate:
                    await driver.drive(p)
            except SeedError as exc:
                out.failures.append(str(exc))
            else:
                out.started += 1
                out.by_target[p.target] = out.by_target.get(p.target, 0) + 1
            progress(1)

    await asyncio.gather(*(one(p) for p in plans))
    return out
