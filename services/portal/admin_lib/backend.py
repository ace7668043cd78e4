"""Calls from the administration areas to the services' internal admin APIs: the portal's one
backend client (services/portal/backend.py), whose 422 keeps every problem the service found
(an administrator fixing a rule set wants them all at once, each next to its field)."""

from __future__ import annotations

from typing import Any

import httpx

from services.portal.backend import Problem, Problems, call_service, problems_of
from services.portal.deps import User

__all__ = ["Problem", "Problems", "call", "problems_of"]


async def call(
    client: httpx.AsyncClient,
    unavailable: str,
    method: str,
    path: str,
    user: User,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    return await call_service(client, unavailable, method, path, user, json=json, params=params)
