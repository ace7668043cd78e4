"""Calls from the administration areas to the services' internal admin APIs: the portal's one
backend client (services/portal/backend.py), whose 422 keeps every problem the service found
(an administrator fixing a rule set wants them all at once, each next to its field)."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx

from services.portal.backend import Problem, Problems, call_service, problems_of
from services.portal.deps import User

__all__ = ["Problem", "Problems", "call", "problems_of"]
T = TypeVar("T")


async def call(
    client: httpx.AsyncClient,
    unavailable: str,
    method: str,
    path: str,
    user: User,
    *,
    answer: type[T],
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> T:
    """`answer`: the shared model of the service's reply (shared/contracts), e.g.
    `list[OrgVillageRead]`; an answer that does not fit it is the service out of step."""
    return await call_service(
        client, unavailable, method, path, user, answer=answer, json=json, params=params
    )
