"""Test support for the portal and its areas (see services/portal/AREAS.md, section 5).

The portal app and whichever backend service apps a test needs run in-process, lifespans and
all, on fresh databases and the test's private exchange; `ServiceClients` reach the backends
through `httpx.ASGITransport`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from services.portal.api import create_app
from services.portal.models import outbox
from services.portal.seed import demo_specs, seed_accounts
from services.portal.service import AccountSpec
from services.portal.web import ServiceClients
from shared.auth import INTERNAL_TOKEN_HEADER, hash_password
from shared.config import PortalSettings
from shared.demo import DemoAccount, demo_accounts
from shared.runtime import ServiceRuntime
from tests.conftest import AMQP_URL, make_pg_database

BACKENDS = ("disputes", "appointments", "points", "notifications")
ACCOUNTS: dict[str, DemoAccount] = {a.role: a for a in demo_accounts()}
CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
TEST_IP = "198.51.100.7"


@cache
def hashed_demo_specs() -> tuple[AccountSpec, ...]:
    """Demo accounts with their argon2 hashes computed once per test process."""
    return tuple(
        replace(s, password=None, password_hash=hash_password(s.password or ""))
        for s in demo_specs()
    )


def _stub(name: str) -> Callable[[Scope, Receive, Send], Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = {"detail": f"{name} service is not running in this test"}
        await JSONResponse(body, status_code=503)(scope, receive, send)

    return app


@dataclass
class PortalHarness:
    app: FastAPI
    settings: PortalSettings
    clients: ServiceClients
    _opened: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    def client(self, *, ip: str = TEST_IP) -> httpx.AsyncClient:
        """An anonymous browser-like client (keeps cookies, does not follow redirects)."""
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(ip, 50000)),
            base_url="http://portal.test",
        )
        self._opened.append(c)
        return c

    async def csrf(self, client: httpx.AsyncClient) -> str:
        for path in ("/login", "/profile"):
            r = await client.get(path)
            if r.status_code == 200:
                m = CSRF_RE.search(r.text)
                assert m, f"no csrf_token on {path}"
                return m.group(1)
        raise AssertionError("no page with a CSRF token")

    async def post_form(
        self, client: httpx.AsyncClient, path: str, data: Mapping[str, str | list[str]]
    ) -> httpx.Response:
        return await client.post(path, data={**data, "csrf_token": await self.csrf(client)})

    async def sent_code(self, phone: str) -> str:
        """The latest registration code queued for `phone` (what its SMS carries)."""
        async with self.runtime.factory() as s:
            rows = (
                await s.execute(
                    select(outbox.c.body)
                    .where(outbox.c.routing_key == "account.registration_code")
                    .order_by(outbox.c.id.desc())
                )
            ).scalars()
            for body in rows:
                if body["phone"] == phone:
                    code: str = body["code"]
                    return code
        raise AssertionError(f"no code was sent to {phone}")

    async def register(
        self, client: httpx.AsyncClient, form: dict[str, str], *, phone: str | None = None
    ) -> httpx.Response:
        """Register through both steps (the form, then the code from the SMS)."""
        r = await self.post_form(client, "/register", form)
        if r.status_code != 200:
            return r
        m = re.search(r'name="registration_id" value="([^"]+)"', r.text)
        assert m, "no confirmation form after /register"
        code = await self.sent_code(phone or form["phone"])
        return await self.post_form(
            client, "/register/confirm", {"registration_id": m.group(1), "code": code}
        )

    @staticmethod
    def credentials(who: str, password: str | None) -> tuple[str, str]:
        if who in ACCOUNTS:
            return ACCOUNTS[who].username, password or ACCOUNTS[who].password
        assert password is not None, f"{who} is no demo role: pass password="
        return who, password

    async def login(self, who: str, password: str | None = None) -> httpx.AsyncClient:
        """A browser client logged in as a demo role (`"officer"`) or any username/phone."""
        login, pw = self.credentials(who, password)
        c = self.client()
        r = await self.post_form(c, "/login", {"login": login, "password": pw, "next": "/"})
        assert r.status_code == 303, f"login as {who} failed: {r.status_code}"
        return c

    async def token(self, who: str, password: str | None = None) -> str:
        login, pw = self.credentials(who, password)
        r = await self.client().post("/api/v1/auth/token", json={"username": login, "password": pw})
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    async def api(self, who: str, password: str | None = None) -> httpx.AsyncClient:
        """A JSON API client holding a bearer token of `who`."""
        c = self.client()
        c.headers["Authorization"] = f"Bearer {await self.token(who, password)}"
        return c


PortalFactory = Callable[..., AbstractAsyncContextManager[PortalHarness]]


@pytest.fixture
def portal_factory(exchange: str, tmp_path: Path) -> PortalFactory:
    @asynccontextmanager
    async def make(
        *,
        backends: dict[str, FastAPI] | None = None,
        db: str = "sqlite",
        seed: bool = True,
        **overrides: Any,
    ) -> AsyncIterator[PortalHarness]:
        backends = backends or {}
        unknown = set(backends) - set(BACKENDS)
        assert not unknown, f"unknown backends {unknown}"
        url = (
            make_pg_database()
            if db == "postgresql"
            else f"sqlite+aiosqlite:///{tmp_path}/portal.db"
        )
        settings = PortalSettings(
            database_url=url,
            exchange=exchange,
            amqp_url=AMQP_URL,
            relay_interval_seconds=0.1,
            **overrides,
        )
        async with AsyncExitStack() as stack:
            for app in backends.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            http = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=backends.get(name) or _stub(name)),
                    base_url=f"http://{name}",
                    headers={INTERNAL_TOKEN_HEADER: settings.internal_token},
                )
                for name in BACKENDS
            }
            for c in http.values():
                stack.push_async_callback(c.aclose)
            clients = ServiceClients(**http)
            portal_app = create_app(settings, clients=clients)
            await stack.enter_async_context(portal_app.router.lifespan_context(portal_app))
            harness = PortalHarness(portal_app, settings, clients)
            if seed:
                await seed_accounts(harness.runtime.factory, hashed_demo_specs(), progress=False)
            try:
                yield harness
            finally:
                for c in harness._opened:
                    await c.aclose()

    return make


@pytest.fixture
async def portal(portal_factory: PortalFactory) -> AsyncIterator[PortalHarness]:
    async with portal_factory() as harness:
        yield harness
