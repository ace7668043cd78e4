"""One policy for reaching Temporal from a service's API process.

The service comes up without Temporal (what needs no workflow keeps working); `run` connects in
the background, backing off from 0.5 s to 10 s between attempts and logging each failure;
`connected` is the health signal (/healthz reports it as `temporal`); `get` hands out the
client (trying once more itself if need be) or refuses with a 503 that says why.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from temporalio.client import Client

from shared.errors import DomainError
from shared.temporal import connect

log = logging.getLogger("fengqiao.temporal")


class TemporalUnavailable(DomainError):
    status = 503


class TemporalLink:
    def __init__(
        self, address: str, namespace: str, client: Client | None = None, *, enabled: bool = True
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.client = client
        self.enabled = enabled and client is None
        self._lock = asyncio.Lock()

    async def run(self, _app: FastAPI | None = None) -> None:
        """Background task: connect once Temporal answers."""
        delay = 0.5
        while self.enabled and self.client is None:
            try:
                self.client = await asyncio.wait_for(connect(self.address, self.namespace), 10)
            except Exception as exc:
                log.warning(
                    "Temporal at %s unreachable (%s); retrying in %.1fs", self.address, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            else:
                log.info("connected to Temporal at %s", self.address)

    async def connected(self) -> bool:
        return self.client is not None

    async def get(self) -> Client:
        """The client; if the background task has not connected yet, one attempt now (a
        request right after start waits for Temporal as it would have at start)."""
        if self.client is None:
            async with self._lock:
                if self.client is None:
                    try:
                        self.client = await asyncio.wait_for(
                            connect(self.address, self.namespace), 10
                        )
                    except Exception as exc:
                        log.warning("Temporal at %s unreachable: %s", self.address, exc)
        return self.require()

    def require(self) -> Client:
        if self.client is None:
            raise TemporalUnavailable("the workflow engine is not reachable yet; try again")
        return self.client

    def attach(self, app: FastAPI) -> None:
        """Make this the app's link: connected in the background, reported by /healthz."""
        app.state.temporal_link = self
        if self.enabled:
            app.state.background.append(self.run)
        app.state.optional_checks["temporal"] = self.connected
