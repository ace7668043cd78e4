"""Typed FastAPI dependencies of the disputes API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from shared.config import DisputesSettings
from shared.runtime import RuntimeDep, SessionDep
from shared.temporal_link import TemporalLink


async def get_temporal(request: Request) -> Client:
    """The app's one Temporal client (shared.temporal_link: connected in the background; a
    503 with the reason while Temporal cannot be reached)."""
    link: TemporalLink = request.app.state.temporal_link
    return await link.get()


async def get_settings(request: Request) -> DisputesSettings:
    settings: DisputesSettings = request.app.state.settings
    return settings


TemporalDep = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[DisputesSettings, Depends(get_settings)]

__all__ = ["RuntimeDep", "SessionDep", "SettingsDep", "TemporalDep"]
