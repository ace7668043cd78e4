"""The demo county's six-ways desk: bookings over the next two weeks (fuller the nearer the
day, as real desks are), online applications waiting for officers and some decided, and
door-to-door requests, all through the appointments service's API."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from deploy.demo.stack import SeedError, Stack, demo_id
from deploy.demo.trouble import start_lost_visit
from shared.demo import Village, demo_accounts, org

BOOKABLE = ("appointment", "one_visit")
BOOK_SERVICES = ("id_card", "hukou", "no_record")
ONLINE = {
    "exit_entry": ["居民身份证", "出入境证件申请表"],
    "no_record": ["居民身份证", "用途说明"],
    "vehicle": ["居民身份证", "机动车驾驶证", "机动车行驶证"],
}
HOME_REASONS = ("elderly", "sick", "disabled")


@dataclass
class DeskOutcome:
    bookings: int = 0
    applications: int = 0
    decided: int = 0
    home_visits: int = 0
    failures: list[str] = field(default_factory=list)


def fill_share(days_ahead: int) -> float:
    """Share of seats taken: most of tomorrow, little of the week after next."""
    return 0.8 * math.exp(-days_ahead / 3)


def offices(scale: float) -> list[str]:
    """The demo station, its county's service hall, and a share of the other stations (at
    scale 2 and more, every county's hall): a hall's fortnight is some 560 bookings, each
    one a request, a transaction, an event and its messages, so all five halls would be
    three quarters of a seeding's time."""
    o = org()
    demo_village = o.village_named("蒋河村")
    demo_station = demo_village.station_code
    others = [s.code for s in o.stations if s.code != demo_station]
    rng = random.Random(7)
    sample = rng.sample(others, min(len(others), round(5 * scale)))
    own_hall = f"H{demo_village.county_code}"
    halls = [f"H{cc}" for cc in o.counties] if scale >= 2 else [own_hall]
    return [demo_station, *halls, *sample]


async def _book_day(
    stack: Stack, office: str, day: date, ahead: int, gate: asyncio.Semaphore, out: DeskOutcome
) -> None:
    rng = random.Random(f"{office}:{day}")
    for way in BOOKABLE:
        service = rng.choice(BOOK_SERVICES)
        params = {"service": service, "office": office, "date": day.isoformat(), "way": way}
        async with gate:
            slots = await stack.call(
                stack.appointments, "GET", "/internal/v1/slots", params=params, ok=(422, 404)
            )
        seats = [
            (slot["slot_id"], seat)
            for slot in slots or []
            for seat in range(int(slot["free"]))
            if rng.random() < fill_share(ahead)
        ]
        await asyncio.gather(*(_book(stack, service, s, n, gate, out) for s, n in seats))


async def _book(
    stack: Stack, service: str, slot_id: str, seat: int, gate: asyncio.Semaphore, out: DeskOutcome
) -> None:
    body = {
        "resident_id": f"res-{demo_id(slot_id, seat)}",
        "service_code": service,
        "slot_id": slot_id,
        "documents": [],
    }
    async with gate:
        try:
            # 409: booked on an earlier run that was interrupted (or the seat went meanwhile)
            await stack.call(
                stack.appointments, "POST", "/internal/v1/bookings", json=body, ok=(409,)
            )
        except SeedError as exc:
            out.failures.append(str(exc))
        else:
            out.bookings += 1


def _resident_village(n: int, villages: list[Village]) -> Village:
    return villages[(n * 37) % len(villages)]


async def seed_desk(
    stack: Stack,
    scale: float,
    *,
    today: date,
    days: int = 14,
    progress: Callable[[int], None] = lambda n: None,
) -> DeskOutcome:
    out = DeskOutcome()
    o = org()
    demo_village = o.village_named("蒋河村")
    resident = next(a for a in demo_accounts() if a.role == "resident")
    gate = asyncio.Semaphore(8)
    # the demo resident's own booking, application and home visit come first
    await _demo_resident(stack, resident.user_id, demo_village, today, out)

    async def office_job(code: str) -> None:
        await asyncio.gather(
            *(
                _book_day(stack, code, today + timedelta(days=k), k, gate, out)
                for k in range(1, days + 1)
            )
        )
        progress(1)

    async def bookings() -> None:
        await asyncio.gather(*(office_job(c) for c in offices(scale)))

    async def applications() -> None:
        await _applications(stack, scale, gate, out)
        progress(1)

    async def visits() -> None:
        await _home_visits(stack, scale, gate, out)
        await start_lost_visit(stack)
        progress(1)

    await asyncio.gather(bookings(), applications(), visits())
    return out


async def _applications(
    stack: Stack, scale: float, gate: asyncio.Semaphore, out: DeskOutcome
) -> None:
    """Online applications: the demo station's wait for its officers, some elsewhere decided."""
    o = org()
    demo_village = o.village_named("蒋河村")
    villages = [demo_village] * 4 + [
        v for v in o.villages if v.station_code == demo_village.station_code
    ]
    villages += random.Random(3).sample(o.villages, max(1, round(60 * scale)))
    rng = random.Random(11)
    plans = [(n, v, rng.choice(sorted(ONLINE)), rng.random() < 0.4) for n, v in enumerate(villages)]

    async def one(n: int, village: Village, service: str, decide: bool) -> None:
        body: dict[str, Any] = {
            "resident_id": f"res-online-{n:05d}",
            "village_code": village.code,
            "service_code": service,
            "documents": ONLINE[service],
            "details": "网上申请，材料已上传",
        }
        async with gate:
            app = await stack.call(
                stack.appointments, "POST", "/internal/v1/applications", json=body
            )
        out.applications += 1
        if village.code != demo_village.code and decide and app["assignee_id"]:
            decision = {"actor_id": app["assignee_id"], "decision": "approved", "note": "材料齐全"}
            async with gate:
                await stack.call(
                    stack.appointments,
                    "POST",
                    f"/internal/v1/applications/{app['id']}/decision",
                    json=decision,
                )
            out.decided += 1

    await asyncio.gather(*(one(*p) for p in plans))


REPLICA_TRIES = 30


async def _home_visits(
    stack: Stack, scale: float, gate: asyncio.Semaphore, out: DeskOutcome
) -> None:
    o = org()
    demo_village = o.village_named("蒋河村")
    rng = random.Random(12)
    homes = [demo_village] * 2 + rng.sample(o.villages, max(1, round(12 * scale)))

    async def one(n: int, village: Village, service: str, phone: str) -> None:
        body = {
            "resident_id": f"res-home-{n:05d}",
            "village_code": village.code,
            "service_code": service,
            "reason": HOME_REASONS[n % 3],
            "address": f"{village.township}{village.name}{1 + n % 9}组",
            "phone": phone,
        }
        async with gate:
            # the desk learns villages from the directory's events: a village it has not heard
            # of yet is refused, so wait for the replica (up to about a minute) and ask again
            for attempt in range(REPLICA_TRIES):
                try:
                    await stack.call(
                        stack.appointments, "POST", "/internal/v1/home-visits", json=body, ok=(409,)
                    )
                except SeedError as exc:
                    if "village is unknown" in str(exc) and attempt < REPLICA_TRIES - 1:
                        await asyncio.sleep(2)
                        continue
                    out.failures.append(str(exc))
                else:
                    out.home_visits += 1
                return

    plans = [
        (n, v, rng.choice(BOOK_SERVICES), f"139{rng.randrange(10**8):08d}")
        for n, v in enumerate(homes)
    ]
    await asyncio.gather(*(one(*p) for p in plans))


async def _demo_resident(
    stack: Stack, resident_id: str, village: Village, today: date, out: DeskOutcome
) -> None:
    station = village.station_code
    for ahead in range(2, 10):
        slots = await stack.call(
            stack.appointments,
            "GET",
            "/internal/v1/slots",
            params={
                "service": "id_card",
                "office": station,
                "date": (today + timedelta(days=ahead)).isoformat(),
            },
            ok=(422, 404),
        )
        free = [s for s in slots or [] if s["free"] > 0]
        if free:
            body = {
                "resident_id": resident_id,
                "service_code": "id_card",
                "slot_id": free[0]["slot_id"],
            }
            await stack.call(stack.appointments, "POST", "/internal/v1/bookings", json=body)
            out.bookings += 1
            break
    app = {
        "resident_id": resident_id,
        "village_code": village.code,
        "service_code": "no_record",
        "documents": ONLINE["no_record"],
        "details": "外出务工需要无犯罪记录证明",
    }
    await stack.call(stack.appointments, "POST", "/internal/v1/applications", json=app)
    out.applications += 1
