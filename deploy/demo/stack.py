"""How the demo seeder reaches the running stack: each service's internal API (the portal's
token, the acting user named in a header) and Temporal for the dispute workflows' updates."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
from temporalio.client import Client

from shared.auth import ACTOR_HEADER, INTERNAL_TOKEN_HEADER
from shared.config import (
    AppointmentsSettings,
    DisputesSettings,
    PointsSettings,
    PortalSettings,
    StackSettings,
)
from shared.temporal import connect


class SeedError(Exception):
    """A service refused what the demo asked (the demo's plan is wrong, not the service)."""


def demo_id(*parts: object) -> str:
    """A stable id for one piece of the demo: the same on every run, so a re-run is a no-op."""
    return hashlib.sha256(":".join(str(p) for p in ("demo-county", *parts)).encode()).hexdigest()[
        :16
    ]


@dataclass
class Stack:
    disputes: httpx.AsyncClient
    appointments: httpx.AsyncClient
    points: httpx.AsyncClient
    portal: httpx.AsyncClient
    temporal: Client
    task_queue: str

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        *,
        actor: str = "demo-seed",
        ok: tuple[int, ...] = (),
        **kw: Any,
    ) -> Any:
        """The JSON answer; a refusal other than those in `ok` raises SeedError."""
        for attempt in range(5):
            try:
                resp = await client.request(method, path, headers={ACTOR_HEADER: actor}, **kw)
            except httpx.TransportError:
                if attempt == 4:
                    raise
                await asyncio.sleep(1 + attempt)
                continue
            if resp.status_code in ok:
                return None
            if resp.status_code >= 400:
                raise SeedError(f"{method} {path}: {resp.status_code} {resp.text[:300]}")
            return resp.json() if resp.content else None
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        for c in (self.disputes, self.appointments, self.points, self.portal):
            await c.aclose()


def _client(url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        headers={INTERNAL_TOKEN_HEADER: token},
        timeout=httpx.Timeout(30.0, connect=5.0),
        limits=httpx.Limits(max_connections=32),
    )


async def wait_healthy(urls: list[str], *, timeout: float = 240) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    pending = list(urls)
    async with httpx.AsyncClient(timeout=5) as c:
        while pending:
            for url in list(pending):
                try:
                    if (await c.get(f"{url}/healthz")).status_code == 200:
                        pending.remove(url)
                except httpx.HTTPError:
                    pass
            if not pending:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise SeedError(f"not healthy in time: {', '.join(pending)}")
            await asyncio.sleep(1)


async def open_stack() -> Stack:
    portal, disputes = PortalSettings(), DisputesSettings()
    appointments, points = AppointmentsSettings(), PointsSettings()
    token = StackSettings().internal_token
    urls = {
        name: f"http://{s.host}:{s.port}"
        for name, s in (
            ("portal", portal),
            ("disputes", disputes),
            ("appointments", appointments),
            ("points", points),
        )
    }
    await wait_healthy(list(urls.values()))
    temporal = await connect(disputes.temporal_address, disputes.temporal_namespace)
    return Stack(
        disputes=_client(urls["disputes"], token),
        appointments=_client(urls["appointments"], token),
        points=_client(urls["points"], token),
        portal=_client(urls["portal"], token),
        temporal=temporal,
        task_queue=disputes.task_queue,
    )
