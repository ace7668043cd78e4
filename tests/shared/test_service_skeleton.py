"""One way to build a service: background tasks run inside the lifespan, domain errors answer
as problem+json with field and reason (which the portal's one parser turns into its own field
error), and Temporal is reached by one policy that /healthz reports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from temporalio.testing import WorkflowEnvironment

from services.portal.backend import call_service
from services.portal.deps import FieldError, User
from shared.config import PointsSettings
from shared.errors import PROBLEM_JSON, Conflict, Invalid, NotFound
from shared.runtime import create_service_app
from shared.temporal_link import TemporalLink
from tests.conftest import AMQP_URL
from tests.helpers import eventually, free_port

ROUTES = APIRouter(prefix="/internal/v1")


@ROUTES.post("/things")
async def make_thing() -> None:
    raise Invalid("must be a whole number of hours", "shift.hours")


@ROUTES.get("/things/{thing_id}")
async def get_thing(thing_id: str) -> None:
    raise NotFound(f"no thing {thing_id}")


@ROUTES.post("/things/{thing_id}/close")
async def close_thing(thing_id: str) -> None:
    raise Conflict("the thing is already closed", "thing_id")


def settings(tmp_path: Path, exchange: str) -> PointsSettings:
    return PointsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'points.db'}",
        exchange=exchange,
        amqp_url=AMQP_URL,
    )


@pytest.fixture
async def app(tmp_path: Path, exchange: str) -> AsyncIterator[tuple[FastAPI, list[str]]]:
    log: list[str] = []

    async def ticking(app: FastAPI) -> None:
        log.append("started")
        try:
            await asyncio.Event().wait()
        finally:
            log.append("cancelled")

    built = create_service_app(
        "points", settings(tmp_path, exchange), title="probe", background=[ticking]
    )
    built.include_router(ROUTES)
    yield built, log


async def test_background_tasks_live_exactly_as_long_as_the_app(
    app: tuple[FastAPI, list[str]],
) -> None:
    built, log = app
    async with built.router.lifespan_context(built):
        await eventually(lambda: asyncio.sleep(0, log == ["started"]))
    assert log == ["started", "cancelled"]


async def test_domain_errors_answer_as_problems_with_field_and_reason(
    app: tuple[FastAPI, list[str]],
) -> None:
    built, _ = app
    transport = httpx.ASGITransport(app=built)
    async with (
        built.router.lifespan_context(built),
        httpx.AsyncClient(transport=transport, base_url="http://probe") as client,
    ):
        invalid = await client.post("/internal/v1/things")
        missing = await client.get("/internal/v1/things/t-9")
        closed = await client.post("/internal/v1/things/t-9/close")
        assert invalid.headers["content-type"] == PROBLEM_JSON
        assert invalid.status_code == 422
        assert invalid.json() | {"detail": None} == {
            "type": "about:blank",
            "title": "Unprocessable Entity",
            "status": 422,
            "reason": "must be a whole number of hours",
            "field": "shift.hours",
            "detail": None,
        }
        assert (missing.status_code, missing.json()["reason"]) == (404, "no thing t-9")
        assert (closed.status_code, closed.json()["field"]) == (409, "thing_id")

        # the portal's one parser: a 422 becomes the field error its forms show, others the
        # service's reason
        user = User(user_id="u1", role="officer", display_name="U")
        with pytest.raises(FieldError) as field_error:
            await call_service(client, "down", "POST", "/things", user)
        assert (field_error.value.field, field_error.value.reason) == (
            "shift.hours",
            "must be a whole number of hours",
        )
        with pytest.raises(HTTPException) as refused:
            await call_service(client, "down", "POST", "/things/t-9/close", user)
        assert (refused.value.status_code, refused.value.detail) == (
            409,
            "the thing is already closed",
        )


async def test_the_temporal_link_reports_its_health_and_refuses_with_a_reason(
    tmp_path: Path, exchange: str, temporal_env: WorkflowEnvironment
) -> None:
    built = create_service_app("points", settings(tmp_path, exchange), title="probe")
    nowhere = TemporalLink(f"127.0.0.1:{free_port()}", "default")
    nowhere.attach(built)
    transport = httpx.ASGITransport(app=built)
    async with (
        built.router.lifespan_context(built),
        httpx.AsyncClient(transport=transport, base_url="http://probe") as client,
    ):

        async def checks() -> dict[str, bool] | None:
            found: dict[str, bool] = (await client.get("/healthz")).json()["checks"]
            return found if found["database"] else None

        assert (await eventually(checks))["temporal"] is False
        with pytest.raises(Exception) as refused:
            nowhere.require()
        assert getattr(refused.value, "status", None) == 503

    reachable = TemporalLink(temporal_env.client.service_client.config.target_host, "default")
    task = asyncio.create_task(reachable.run())
    await eventually(reachable.connected, 30)
    await task  # returns once connected
    assert reachable.require() is reachable.client
