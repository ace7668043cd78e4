"""Bookings of the six-ways desk through the appointments service's internal API, with the
year's mix of services and ways, generated from a seed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

# the year's mix of the bookable services (ID cards and household registration dominate)
SERVICE_MIX = {
    "id_card": 0.35,
    "hukou": 0.30,
    "vehicle": 0.10,
    "no_record": 0.10,
    "exit_entry": 0.08,
    "permit": 0.07,
}
# 预约办 (a slot) vs 一次办 (one visit, everything at once); the others book no slot
WAY_MIX = {"appointment": 0.6, "one_visit": 0.4}


@dataclass(frozen=True)
class BookingSpec:
    resident_id: str
    service_code: str
    way: str
    office_pick: float
    day_offset: int


def booking_specs(n: int, seed: int) -> list[BookingSpec]:
    rng = random.Random(seed * 7919 + 1)
    services, s_weights = list(SERVICE_MIX), list(SERVICE_MIX.values())
    ways, w_weights = list(WAY_MIX), list(WAY_MIX.values())
    return [
        BookingSpec(
            resident_id=f"res-year-{seed}-{i:06d}",
            service_code=rng.choices(services, s_weights)[0],
            way=rng.choices(ways, w_weights)[0],
            office_pick=rng.random(),
            day_offset=rng.randint(1, 28),
        )
        for i in range(n)
    ]


class Desk:
    """What a resident's booking does: find a free slot of the service, take it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.offices: dict[str, list[str]] = {}
        self.ways: dict[str, list[str]] = {}

    async def load(self) -> None:
        for svc in (await self.client.get("/internal/v1/services")).json():
            self.ways[svc["code"]] = svc["ways"]
            resp = await self.client.get("/internal/v1/offices", params={"service": svc["code"]})
            self.offices[svc["code"]] = sorted(o["code"] for o in resp.json())

    async def book(self, spec: BookingSpec, latencies: dict[str, list[float]]) -> str | None:
        """The booking's code, or None when no office had a free slot (counted by the caller)."""
        way = spec.way if spec.way in self.ways[spec.service_code] else "appointment"
        offices = self.offices[spec.service_code]
        first = int(spec.office_pick * len(offices))
        day = date.today() + timedelta(days=spec.day_offset)
        for attempt in range(6):
            office = offices[(first + attempt) % len(offices)]
            params = {"service": spec.service_code, "office": office, "date": day.isoformat()}
            start = time.perf_counter()
            resp = await self.client.get("/internal/v1/slots", params={**params, "way": way})
            latencies["slots"].append(time.perf_counter() - start)
            if resp.status_code != 200 or not resp.json():
                day += timedelta(days=1)
                continue
            slot = resp.json()[int(spec.office_pick * 1000) % len(resp.json())]["slot_id"]
            body = {
                "resident_id": spec.resident_id,
                "service_code": spec.service_code,
                "slot_id": slot,
            }
            start = time.perf_counter()
            resp = await self.client.post("/internal/v1/bookings", json=body)
            latencies["booking"].append(time.perf_counter() - start)
            if resp.status_code == 201:
                code: str = resp.json()["code"]
                return code
            if resp.status_code != 409:
                resp.raise_for_status()
        return None
