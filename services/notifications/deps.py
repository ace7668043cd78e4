"""Typed FastAPI dependencies of the notifications API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.runtime import NotificationsRuntime
from shared.runtime import RuntimeDep, SessionDep


async def get_notifications(request: Request) -> NotificationsRuntime:
    runtime: NotificationsRuntime = request.app.state.runtime
    return runtime


NotificationsDep = Annotated[NotificationsRuntime, Depends(get_notifications)]

__all__ = ["NotificationsDep", "RuntimeDep", "SessionDep"]
