"""Typed FastAPI dependencies of the disputes API."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from shared.config import DisputesSettings
from shared.runtime import RuntimeDep, SessionDep
from shared.temporal import connect

_lock = asyncio.Lock()


async def get_temporal(request: Request) -> Client:
    """One Temporal client per app, connected on first use (the API starts without it)."""
    client: Client | None = request.app.state.temporal
    if client is None:
        async with _lock:
            client = request.app.state.temporal
            if client is None:
                settings: DisputesSettings = request.app.state.settings
                client = await connect(settings.temporal_address, settings.temporal_namespace)
                request.app.state.temporal = client
    return client


TemporalDep = Annotated[Client, Depends(get_temporal)]

__all__ = ["RuntimeDep", "SessionDep", "TemporalDep"]
