"""Typed FastAPI dependencies of the appointments API (`async def`: a plain `def` dependency
runs in FastAPI's thread pool, one thread hop per request for reading `app.state`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from services.appointments.context import Desk
from shared.runtime import RuntimeDep, SessionDep

__all__ = ["DeskDep", "RuntimeDep", "SessionDep", "TemporalDep"]


async def get_desk(request: Request) -> Desk:
    return Desk(request.app.state.settings)


async def get_temporal(request: Request) -> Client | None:
    client: Client | None = request.app.state.temporal_link.client
    return client


DeskDep = Annotated[Desk, Depends(get_desk)]
TemporalDep = Annotated[Client | None, Depends(get_temporal)]
