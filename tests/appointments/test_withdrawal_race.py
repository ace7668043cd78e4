"""A resident books a six-ways service at the moment the administrator withdraws it, over the
appointments service's HTTP API on PostgreSQL with real concurrent requests: every booking
that got in is either refused or listed for the staff to move (and its resident told), never
left standing for a service the office no longer offers in that way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import select

from services.appointments.api import create_app
from services.appointments.models import ACTIVE_STATES, Booking, BookingIssue
from services.appointments.seed import SERVICES
from shared.config import AppointmentsSettings
from shared.runtime import ServiceRuntime
from tests.appointments.conftest import STATION, make_desk
from tests.appointments.test_api import next_workday
from tests.helpers import serving

TOKEN = "race-internal-token"
H = {"X-Fengqiao-Internal": TOKEN}
HUKOU = {k: v for k, v in SERVICES[0].items() if k not in ("code", "ways")}
WAYS: list[str] = SERVICES[0]["ways"]
WITHOUT = [w for w in WAYS if w != "appointment"]
ROUNDS = 3
BOOKERS = 12


@pytest.fixture
async def desk_api(
    pg_url: Callable[[], str],
) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    url = pg_url()
    await (await make_desk(url)).factory.kw["bind"].dispose()
    settings = AppointmentsSettings(
        database_url=url, internal_token=TOKEN, run_jobs=False, db_pool_size=40
    )
    app = create_app(settings, connect_temporal=False)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, headers=H) as client:
        yield client, app.state.runtime


async def _ways(client: httpx.AsyncClient, ways: list[str]) -> httpx.Response:
    r = await client.put(
        "/internal/v1/admin/desk/services/hukou", json={**HUKOU, "ways": ways, "actor_id": "adm"}
    )
    assert r.status_code == 200, r.text
    return r


async def _booker(
    client: httpx.AsyncClient,
    name: str,
    slots: list[str],
    booked: asyncio.Event,
    withdrawn: asyncio.Event,
) -> list[int]:
    """Books one new resident after another, until one request sent after the withdrawal has
    its answer; each answer's status."""
    answers: list[int] = []
    while True:
        after = withdrawn.is_set()
        n = len(answers)
        r = await client.post(
            "/internal/v1/bookings",
            json={
                "resident_id": f"{name}-{n}",
                "service_code": "hukou",
                "slot_id": slots[n % len(slots)],
            },
        )
        assert r.status_code in (201, 409, 422), r.text
        if r.status_code == 422:
            assert r.json()["detail"][0]["msg"] == f"{HUKOU['name']} is not offered as appointment"
        elif r.status_code == 201:
            booked.set()
        answers.append(r.status_code)
        if after:
            return answers


async def _withdraw(
    client: httpx.AsyncClient, booked: asyncio.Event, withdrawn: asyncio.Event
) -> None:
    await booked.wait()  # bookings flowing, on a machine however loaded
    await asyncio.sleep(0.05)
    await _ways(client, WITHOUT)
    withdrawn.set()


async def test_a_booking_racing_the_withdrawal_of_its_way_is_refused_or_listed(
    desk_api: tuple[httpx.AsyncClient, ServiceRuntime],
) -> None:
    client, runtime = desk_api
    days = sorted({next_workday(d) for d in range(3, 12)})[:ROUNDS]
    for n, day in enumerate(days):
        free = await client.get(  # the day's slots, built by this first look
            "/internal/v1/slots", params={"service": "hukou", "office": STATION, "date": str(day)}
        )
        assert free.status_code == 200, free.text
        slots = [x["slot_id"] for x in free.json()]
        booked, withdrawn = asyncio.Event(), asyncio.Event()
        bookers = asyncio.gather(
            *[
                _booker(client, f"race-{n}-{w}", slots[w::BOOKERS], booked, withdrawn)
                for w in range(BOOKERS)
            ]
        )
        answers, _ = await asyncio.gather(bookers, _withdraw(client, booked, withdrawn))
        codes = [c for each in answers for c in each]
        assert 201 in codes and 422 in codes, f"round {n}: the bookings did not span the change"
        async with runtime.factory() as s:
            standing = set(
                await s.scalars(
                    select(Booking.code).where(
                        Booking.service_code == "hukou",
                        Booking.status.in_(ACTIVE_STATES),
                        Booking.way.in_(["appointment", "extended"]),
                    )
                )
            )
            listed = {
                i.booking_code: i.cause
                for i in await s.scalars(
                    select(BookingIssue).where(BookingIssue.resolved_at.is_(None))
                )
            }
        assert standing, f"round {n}: nothing was booked"
        missed = standing - set(listed)
        assert not missed, f"round {n}: bookings left for a withdrawn way, never listed: {missed}"
        assert {listed[c] for c in standing} == {"way"}
        moved = await client.get("/internal/v1/admin/desk/to-move", params={"office": STATION})
        assert {b["booking_code"] for b in moved.json()} >= standing, moved.text
        # offered again: each of those bookings is back in place, and the next round books
        restored = (await _ways(client, WAYS)).json()
        assert set(restored["change"]["restored"]) == standing
