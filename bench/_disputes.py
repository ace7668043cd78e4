"""Driving one dispute through the running stack: intake through the disputes API, then the
officer's actions through Temporal updates exactly as the portal sends them (accept, one
follow-up, closure; red cases approved by the station chief). Then the effects: the helper's
points credited and the case's notifications delivered."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import httpx
from temporalio.client import Client

from shared.auth import INTERNAL_TOKEN_HEADER
from shared.demo import org
from shared.http import client_limits
from workflows.disputes import client as wf
from workflows.disputes.types import (
    AcceptInput,
    Actor,
    ApproveClosureInput,
    CaseView,
    FollowUpInput,
    ProposeClosureInput,
)

# what one helper earns on a case: a follow-up with them as helper, then the closure
HELPER_POINTS = 5 + 10
CATEGORIES = ("marriage_family", "neighbours", "land", "debt", "labour", "other")
# Guyuan's mix of the year: mostly green, about a quarter yellow, a few red
COLOUR_MIX = (("green", 0.70), ("yellow", 0.24), ("red", 0.06))
RISK = {
    "green": {},
    "yellow": {"elderly_involved": True},
    "red": {"threats": True},
}


@dataclass(frozen=True)
class CaseSpec:
    case_id: str
    colour: str
    category: str
    village_code: str
    station_code: str
    helper_id: str


@dataclass
class Latencies:
    by_step: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, step: str, seconds: float) -> None:
        self.by_step[step].append(seconds)

    def officer_actions(self) -> list[float]:
        steps = ("accept", "follow_up", "closure", "approve")
        return [v for s in steps for v in self.by_step.get(s, [])]


def case_specs(n: int, seed: int, prefix: str = "b") -> list[CaseSpec]:
    """`n` cases over villages that have a police room, with the year's colour mix."""
    rng = random.Random(seed)
    o = org()
    rooms = [r for r in o.rooms if r.officer_ids]
    villages = {v.code: v for v in o.villages}
    colours = [c for c, _ in COLOUR_MIX]
    weights = [w for _, w in COLOUR_MIX]
    specs = []
    for i in range(n):
        room = rng.choice(rooms)
        v = villages[room.village_code]
        specs.append(
            CaseSpec(
                # like start_case's ids: the case no is made of the first 8 hex digits
                case_id=f"{rng.getrandbits(64):016x}",
                colour=rng.choices(colours, weights)[0],
                category=rng.choice(CATEGORIES),
                village_code=v.code,
                station_code=v.station_code,
                helper_id=f"res-bench-{prefix}{seed}-{i:06d}",
            )
        )
    return specs


def intake_body(spec: CaseSpec) -> dict[str, object]:
    return {
        "case_id": spec.case_id,
        "category": spec.category,
        "description": "两户因宅基地边界发生争执" if spec.category == "land" else "邻里纠纷",
        "village_code": spec.village_code,
        "parties": [
            {"name": "张建国", "phone": "13900000001", "role": "complainant"},
            {"name": "李志强", "phone": "13900000002", "role": "respondent"},
        ],
        "households": [{"household_id": f"hh-{spec.case_id}-a"}],
        "risk": RISK[spec.colour],
        "reporter_kind": "officer",
    }


async def _timed(lat: Latencies, step: str, coro: object) -> CaseView:
    start = time.perf_counter()
    result = await coro  # type: ignore[misc]
    lat.add(step, time.perf_counter() - start)
    assert isinstance(result, CaseView)
    return result


async def wait_assigned(temporal: Client, case_id: str, timeout: float = 120) -> CaseView:
    deadline = time.monotonic() + timeout
    while True:
        try:
            view = await wf.view(temporal, case_id)
            if view.stage == "assignment" and view.assignee_id:
                return view
        except Exception:  # registration still running: the query is refused until then
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"case {case_id} not assigned after {timeout:.0f} s")
        await asyncio.sleep(0.05)


async def run_case(
    disputes: httpx.AsyncClient, temporal: Client, spec: CaseSpec, lat: Latencies
) -> str:
    """Intake → screening → assignment → accept → follow-up → closure; returns the case no."""
    start = time.perf_counter()
    resp = await disputes.post("/internal/v1/cases", json=intake_body(spec))
    lat.add("intake", time.perf_counter() - start)
    resp.raise_for_status()
    view = await wait_assigned(temporal, spec.case_id)
    lat.add("intake_to_assigned", time.perf_counter() - start)
    assert view.assignee_id is not None
    officer = Actor(user_id=view.assignee_id, role="officer", station_code=view.station_code)
    key = uuid.uuid4().hex
    await _timed(
        lat, "accept", wf.perform(temporal, spec.case_id, "accept", AcceptInput(), officer, key)
    )
    follow_up = FollowUpInput(
        done="走访双方，达成初步谅解", outcome="settled", helper_ids=[spec.helper_id]
    )
    await _timed(
        lat,
        "follow_up",
        wf.perform(temporal, spec.case_id, "follow-up", follow_up, officer, key + "f"),
    )
    closure = ProposeClosureInput(settlement_kind="mediation_agreement", summary="签订调解协议")
    view = await _timed(
        lat,
        "closure",
        wf.perform(temporal, spec.case_id, "propose-closure", closure, officer, key + "c"),
    )
    if view.stage == "closure_approval":
        chief = Actor(
            user_id=f"chief-{view.station_code}",
            role="station_chief",
            station_code=view.station_code,
        )
        view = await _timed(
            lat,
            "approve",
            wf.perform(
                temporal, spec.case_id, "approve-closure", ApproveClosureInput(), chief, key + "a"
            ),
        )
    if view.stage != "return_visit":
        raise RuntimeError(f"case {spec.case_id} ended in stage {view.stage}")
    lat.add("lifecycle_actions", time.perf_counter() - start)
    return view.case_no


def internal_client(base_url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={INTERNAL_TOKEN_HEADER: token},
        timeout=60,
        limits=client_limits(max_connections=64),
    )


async def helper_credited(points: httpx.AsyncClient, helper_id: str) -> bool:
    resp = await points.get(f"/internal/v1/accounts/{helper_id}")
    return resp.status_code == 200 and int(resp.json()["balance"]) >= HELPER_POINTS


async def notifications_delivered(notifications: httpx.AsyncClient, case_no: str) -> bool:
    """The closure's notifications exist and nothing of the case is still queued."""
    resp = await notifications.get(
        "/internal/v1/deliveries", params={"reference": case_no, "limit": 200}
    )
    if resp.status_code != 200:
        return False
    page = resp.json()
    closed = any(d["routing_key"] == "dispute.closed" for d in page["items"])
    return closed and not page["counts"].get("queued", 0)


async def wait_effects(
    points: httpx.AsyncClient,
    notifications: httpx.AsyncClient,
    done: dict[str, str],
    timeout: float,
) -> tuple[int, int]:
    """Wait until every case's helper is credited and its notifications delivered;
    `done` maps helper id → case no. Returns (credited, delivered) counts at the end."""
    to_credit = set(done)
    to_deliver = set(done.values())
    deadline = time.monotonic() + timeout
    sem = asyncio.Semaphore(16)

    async def check_credit(h: str) -> None:
        async with sem:
            if await helper_credited(points, h):
                to_credit.discard(h)

    async def check_delivery(c: str) -> None:
        async with sem:
            if await notifications_delivered(notifications, c):
                to_deliver.discard(c)

    while (to_credit or to_deliver) and time.monotonic() < deadline:
        await asyncio.gather(
            *(check_credit(h) for h in list(to_credit)),
            *(check_delivery(c) for c in list(to_deliver)),
        )
        if to_credit or to_deliver:
            await asyncio.sleep(0.2)
    return len(done) - len(to_credit), len(done) - len(to_deliver)
