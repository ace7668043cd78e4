"""Typed FastAPI dependencies of the appointments API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from services.appointments.context import Desk
from shared.runtime import RuntimeDep, SessionDep

__all__ = ["DeskDep", "RuntimeDep", "SessionDep", "TemporalDep", "WakeDep"]


def get_desk(request: Request, runtime: RuntimeDep) -> Desk:
    return Desk(runtime.factory, request.app.state.settings)


def get_temporal(request: Request) -> Client | None:
    client: Client | None = request.app.state.temporal_link.client
    return client


def get_wake(runtime: RuntimeDep) -> Callable[[], None]:
    """Called after a commit that queued events, so the relay sends them at once."""
    return runtime.wake_relay


DeskDep = Annotated[Desk, Depends(get_desk)]
TemporalDep = Annotated[Client | None, Depends(get_temporal)]
WakeDep = Annotated[Callable[[], None], Depends(get_wake)]
