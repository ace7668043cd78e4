"""Every service refuses a body over 1 MiB (413) without reading it all, JSON nested absurdly
deep (400, where it used to be a 500), and integers no column can hold (422 naming the field,
where an admin adjustment of 10^19 points used to be a 503)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.points import ledger
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import (
    AppointmentsSettings,
    DisputesSettings,
    NotificationsSettings,
    PointsSettings,
)
from shared.db import transaction
from shared.guard import MAX_BODY_BYTES, MAX_INT, check_body, json_depth_exceeds
from tests.points.conftest import PointsApp, points_app  # noqa: F401
from tests.portal.conftest import PortalHarness, portal, portal_factory  # noqa: F401

DEEP = b"[" * 100_000 + b"]" * 100_000


def backend(service: str, tmp_path: Path) -> FastAPI:
    url = f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"
    if service == "disputes":
        from services.disputes.api import create_app as disputes

        return disputes(DisputesSettings(database_url=url))
    if service == "appointments":
        from services.appointments.api import create_app as appointments

        return appointments(AppointmentsSettings(database_url=url), connect_temporal=False)
    if service == "points":
        from services.points.api import create_app as points
        from tests.points.conftest import RULES

        return points(PointsSettings(database_url=url), rules=RULES)
    from services.notifications.api import create_app as notifications

    return notifications(NotificationsSettings(database_url=url))


@pytest.fixture
async def raw_client() -> AsyncIterator[Callable[[FastAPI], httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []

    def make(app: FastAPI) -> httpx.AsyncClient:
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://svc",
            headers={INTERNAL_TOKEN_HEADER: "fengqiao-dev-internal-token"},
        )
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


@pytest.mark.parametrize("service", ["disputes", "appointments", "points", "notifications"])
async def test_every_backend_refuses_big_deep_and_overflowing_bodies_before_its_routes(
    service: str, tmp_path: Path, raw_client: Callable[[FastAPI], httpx.AsyncClient]
) -> None:
    c = raw_client(backend(service, tmp_path))
    path = "/internal/v1/anything"
    big = await c.post(path, content=b"x" * (MAX_BODY_BYTES + 1))
    assert big.status_code == 413
    assert big.json() == {"detail": "request body larger than 1 MiB"}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(3):
            yield b" " * (MAX_BODY_BYTES // 2)

    streamed = await c.post(path, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    deep = await c.post(path, content=DEEP, headers={"content-type": "application/json"})
    assert deep.status_code == 400
    assert deep.json()["detail"][0]["type"] == "json_too_deep"
    huge = await c.post(path, json={"items": [{"amount": 10**19}]})
    assert huge.status_code == 422
    assert huge.json()["detail"] == [
        {
            "field": "items.0.amount",
            "reason": f"must be between {-MAX_INT} and {MAX_INT}",
            "type": "int_out_of_range",
        }
    ]


async def test_admin_adjustment_of_ten_to_the_nineteen_is_422_at_points(
    points_app: PointsApp,  # noqa: F811
) -> None:
    c = points_app.client
    async with transaction(points_app.app.state.runtime.factory) as s:
        await ledger.ensure_account(s, "res-1", display_name="马秀英", village_code="V1")
    body = {"reason": "demo", "actor_id": "admin-0001", "idempotency_key": "adj-huge"}
    r = await c.post("/internal/v1/accounts/res-1/adjustments", json={**body, "amount": 10**19})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "amount"
    # within 32 bits but beyond what an adjustment may be: the schema's own bound
    r = await c.post("/internal/v1/accounts/res-1/adjustments", json={**body, "amount": 10**6})
    assert r.status_code == 422
    assert "amount" in r.text
    ok = await c.post("/internal/v1/accounts/res-1/adjustments", json={**body, "amount": 12})
    assert ok.status_code == 201, ok.text
    assert (await c.get("/internal/v1/accounts/res-1")).json()["balance"] == 12


async def test_portal_api_refuses_deep_json_and_huge_numbers(
    portal: PortalHarness,  # noqa: F811
) -> None:
    admin = await portal.api("admin")
    deep = await admin.post(
        "/api/v1/points/adjustments", content=DEEP, headers={"content-type": "application/json"}
    )
    assert deep.status_code == 400
    body = {"account_id": "res-1", "reason": "demo", "idempotency_key": "k-000001"}
    huge = await admin.post("/api/v1/points/adjustments", json={**body, "amount": 10**19})
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["field"] == "amount"
    big = await admin.post("/api/v1/points/adjustments", content=b"{" + b" " * MAX_BODY_BYTES)
    assert big.status_code == 413
    login = await portal.client().get("/login")
    assert login.status_code == 200  # a plain GET passes the guard untouched


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_depth_exceeds(b'{"a": "' + b"[" * 1000 + b'"}')
    assert json_depth_exceeds(b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}")
    assert not json_depth_exceeds(b"[" * 32 + b"]" * 32)
    assert check_body("application/json", b'{"ok": [1, 2, true, -2147483647]}') is None
    assert check_body("text/plain", b"[" * 100) is None


def test_the_guards_reasons_read_in_chinese() -> None:
    from services.portal.reasons import translate_reason
    from services.portal.web import TRANSLATIONS

    refusal = check_body("application/json", b'{"amount": 10000000000000000000}')
    assert refusal is not None
    reason = json.loads(refusal[1])["detail"][0]["reason"]
    assert (
        translate_reason(reason, TRANSLATIONS, "zh_CN") == "必须在 -2147483647 与 2147483647 之间"
    )
    too_deep = check_body("application/json", DEEP)
    assert too_deep is not None
    reason = json.loads(too_deep[1])["detail"][0]["reason"]
    assert translate_reason(reason, TRANSLATIONS, "zh_CN") == "JSON 嵌套超过 32 层"
    assert translate_reason("request body larger than 1 MiB", TRANSLATIONS, "zh_CN") == (
        "请求内容超过 1 MiB"
    )
