"""The internal HTTP API with its lifespan running: errors as 4xx with field and reason, the
internal token, and the events reaching the real broker through the outbox relay."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest

from services.appointments.api import create_app
from services.appointments.calendar import TZ
from shared.config import AppointmentsSettings
from tests.appointments.conftest import JIANGHE, STATION, make_desk
from tests.conftest import AMQP_URL
from tests.helpers import eventually

TOKEN = "test-internal-token"
H = {"X-Fengqiao-Internal": TOKEN}


def next_workday(min_days: int = 2) -> date:
    day = datetime.now(TZ).date() + timedelta(days=min_days)
    while day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (4, 5)} or day.month == 2:
        day += timedelta(days=1)
    return day


@pytest.fixture
async def api(db_url: str, exchange: str) -> AsyncIterator[httpx.AsyncClient]:
    await (await make_desk(db_url)).factory.kw["bind"].dispose()
    settings = AppointmentsSettings(
        database_url=db_url,
        exchange=exchange,
        amqp_url=AMQP_URL,
        internal_token=TOKEN,
        run_jobs=False,
        relay_interval_seconds=0.1,
    )
    app = create_app(settings, connect_temporal=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://appointments") as c:
            yield c


async def test_internal_token_is_required(api: httpx.AsyncClient) -> None:
    assert (await api.get("/internal/v1/services")).status_code == 401
    r = await api.get("/internal/v1/services", headers=H)
    assert [s["code"] for s in r.json()] == [
        "exit_entry",
        "hukou",
        "id_card",
        "no_record",
        "permit",
        "vehicle",
    ]


async def test_bad_input_gets_a_4xx_with_field_and_reason(api: httpx.AsyncClient) -> None:
    day = next_workday()
    r = await api.get(
        "/internal/v1/slots",
        params={"service": "nope", "office": STATION, "date": str(day)},
        headers=H,
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"loc": ["body", "service"], "msg": "unknown service 'nope'", "type": "value_error"}
    ]
    r = await api.get(
        "/internal/v1/slots",
        params={"service": "hukou", "office": STATION, "date": "2020-01-01"},
        headers=H,
    )
    assert (r.status_code, r.json()["detail"][0]["msg"]) == (422, "2020-01-01 is in the past")
    r = await api.post("/internal/v1/bookings", json={"resident_id": "r1"}, headers=H)
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {
        ("body", "service_code"),
        ("body", "slot_id"),
    }
    assert (await api.get("/internal/v1/bookings/NOPE", headers=H)).status_code == 404
    r = await api.post(
        "/internal/v1/home-visits",
        json={
            "resident_id": "r1",
            "village_code": JIANGHE,
            "service_code": "hukou",
            "reason": "bored",
        },
        headers=H,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]


async def collect(exchange: str, patterns: list[str]) -> tuple[Any, aio_pika.abc.AbstractQueue]:
    conn = await aio_pika.connect(AMQP_URL)
    ch = await conn.channel()
    ex = await ch.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    q = await ch.declare_queue(exclusive=True)
    for p in patterns:
        await q.bind(ex, p)
    return conn, q


async def next_message(q: aio_pika.abc.AbstractQueue, timeout: float = 10.0) -> tuple[str, Any]:
    async def arrived() -> aio_pika.abc.AbstractIncomingMessage | None:
        return await q.get(no_ack=True, fail=False)

    msg = await eventually(arrived, timeout, "no event arrived")
    assert msg is not None
    return str(msg.routing_key), json.loads(msg.body)


async def test_a_resident_books_reschedules_and_cancels_with_events_on_the_broker(
    api: httpx.AsyncClient, exchange: str
) -> None:
    conn, q = await collect(exchange, ["appointment.#", "application.#"])
    async with conn:
        day = next_workday()
        r = await api.get(
            "/internal/v1/slots",
            params={"service": "hukou", "office": STATION, "date": str(day)},
            headers=H,
        )
        slots = r.json()
        assert slots[0]["starts_at"] == f"{day.isoformat()}T08:30:00+08:00"
        assert slots[0]["free"] == 2
        r = await api.post(
            "/internal/v1/bookings",
            json={
                "resident_id": "res-demo-0001",
                "service_code": "hukou",
                "slot_id": slots[3]["slot_id"],
            },
            headers=H,
        )
        assert r.status_code == 201
        code = r.json()["code"]
        key, body = await next_message(q)
        assert (key, body["booking_code"], body["resident_id"]) == (
            "appointment.booked",
            code,
            "res-demo-0001",
        )
        assert (
            body["starts_at"]
            == datetime.fromisoformat(slots[3]["starts_at"]).astimezone(UTC).isoformat()
        )
        r = await api.post(
            f"/internal/v1/bookings/{code}/reschedule",
            json={
                "actor_id": "res-demo-0001",
                "resident_id": "res-demo-0001",
                "slot_id": slots[5]["slot_id"],
            },
            headers=H,
        )
        assert r.json()["starts_at"] == slots[5]["starts_at"]
        r = await api.post(
            f"/internal/v1/bookings/{code}/cancel",
            json={"actor_id": "someone", "resident_id": "someone"},
            headers=H,
        )
        assert (r.status_code, r.json()["detail"]) == (403, "this booking belongs to someone else")
        r = await api.post(
            f"/internal/v1/bookings/{code}/cancel",
            json={"actor_id": "res-demo-0001", "resident_id": "res-demo-0001", "reason": "病了"},
            headers=H,
        )
        assert r.json()["status"] == "cancelled"
        got = [await next_message(q) for _ in range(2)]
        keys = [k for k, _ in got]
        assert keys == ["appointment.rescheduled", "appointment.cancelled"]
        assert all(body["booking_code"] == code for _, body in got)
        assert got[1][1]["resident_id"] == "res-demo-0001" and got[1][1]["reason"] == "病了"
        mine = await api.get(
            "/internal/v1/bookings", params={"resident_id": "res-demo-0001"}, headers=H
        )
        assert [b["status"] for b in mine.json()] == ["cancelled"]
        trail = await api.get(
            "/internal/v1/audit", params={"entity": "booking", "entity_id": code}, headers=H
        )
        assert [a["action"] for a in trail.json()] == ["booked", "rescheduled", "cancelled"]
