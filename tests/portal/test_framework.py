"""The area contract: NAV per role, backends reached through `Clients`, role dependencies."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header

from services.portal.deps import Clients, User, actor_headers, require_roles
from shared.web import internal_guard
from tests.portal.conftest import PortalFactory, PortalHarness

NAV_RE = re.compile(r'<nav class="nav">(.*?)</nav>', re.S)


def nav_labels(html: str) -> list[str]:
    m = NAV_RE.search(html)
    assert m
    return re.findall(r"<a [^>]*>([^<]+)</a>", m.group(1))


async def test_nav_follows_the_role_and_area_order(portal: PortalHarness) -> None:
    anon = nav_labels((await portal.client().get("/login")).text)
    assert anon[:2] == ["登录", "注册"]
    resident = nav_labels((await (await portal.login("resident")).get("/")).text)
    assert resident[0] == "首页" and resident[-1] == "个人资料"
    assert "安全日志" not in resident and "登录" not in resident
    admin = nav_labels((await (await portal.login("admin")).get("/")).text)
    assert admin[0] == "首页" and admin[-1] == "安全日志"


def backend_app(seen: list[dict[str, Any]]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seen.append({"lifespan": "started"})
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get(
        "/internal/v1/echo", dependencies=[Depends(internal_guard("fengqiao-dev-internal-token"))]
    )
    async def echo(x_fengqiao_actor: Annotated[str, Header()]) -> dict[str, str]:
        seen.append({"actor": x_fengqiao_actor})
        return {"actor": x_fengqiao_actor}

    return app


async def test_backends_are_reached_through_clients(portal_factory: PortalFactory) -> None:
    seen: list[dict[str, Any]] = []
    async with portal_factory(backends={"points": backend_app(seen)}) as h:
        assert seen == [{"lifespan": "started"}]
        probe = APIRouter(prefix="/api/v1")

        @probe.get("/probe/{service}")
        async def call(
            service: str,
            user: Annotated[User, Depends(require_roles("clerk"))],
            clients: Clients,
        ) -> dict[str, Any]:
            client = getattr(clients, service)
            r = await client.get("/internal/v1/echo", headers=actor_headers(user))
            return {"status": r.status_code, "body": r.json()}

        h.app.include_router(probe)
        clerk = await h.api("clerk")
        r = await clerk.get("/api/v1/probe/points")
        assert r.json() == {"status": 200, "body": {"actor": "clerk-0001"}}
        stubbed = (await clerk.get("/api/v1/probe/disputes")).json()
        assert stubbed["status"] == 503
        assert stubbed["body"]["detail"] == "disputes service is not running in this test"
        assert (await (await h.api("resident")).get("/api/v1/probe/points")).status_code == 403


TILE_RE = re.compile(r'<a class="tile" href="([^"]+)"')


async def test_dashboard_links_only_to_pages_that_exist(portal: PortalHarness) -> None:
    admin = await portal.login("admin")
    tiles = TILE_RE.findall((await admin.get("/")).text)
    assert "/admin/audit" in tiles
    for role in ("resident", "officer", "station_chief", "group_leader", "clerk", "admin"):
        client = await portal.login(role)
        for href in TILE_RE.findall((await client.get("/")).text):
            assert (await client.get(href)).status_code != 404, (role, href)
