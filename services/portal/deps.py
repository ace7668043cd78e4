"""The portal framework contract: typed dependencies every area codes against.

See services/portal/AREAS.md. Names here are stable: `User`, `CurrentUser`, `OptionalUser`,
`require_roles`, `verify_csrf`, `Clients`, `ServiceClients`, `render`, `SessionDep`,
`RuntimeDep`, `FieldError`, `audit`.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.portal.service import FieldError, audit
from services.portal.web import (
    LoginRequired,
    ServiceClients,
    User,
    csrf_token,
    has_route,
    portal_of,
    render,
)
from shared.auth import ACTOR_HEADER
from shared.runtime import RuntimeDep, SessionDep

ROLES = ("resident", "officer", "station_chief", "group_leader", "clerk", "admin", "partner")
STAFF = frozenset({"officer", "station_chief", "admin"})


async def get_optional_user(request: Request) -> User | None:
    user: User | None = getattr(request.state, "user", None)
    return user


# Resolution happens in the request middleware; this only documents the scheme in OpenAPI.
bearer_scheme = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/token")


async def get_current_user(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> User:
    user: User | None = getattr(request.state, "user", None)
    if user is None:
        raise LoginRequired()
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: str) -> Callable[[User], Awaitable[User]]:
    """`Depends(require_roles("officer", "station_chief"))`: the user, or 403 for other roles."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail="not allowed for your role")
        return user

    dependency.roles = roles  # type: ignore[attr-defined]  # read by the OpenAPI assembly
    return dependency


async def verify_csrf(request: Request) -> None:
    """For every HTML form POST: the hidden `csrf_token` must match this browser's session."""
    if getattr(request.state, "via", None) == "bearer":
        return
    form = await request.form()
    presented = form.get("csrf_token")
    if not isinstance(presented, str) or not hmac.compare_digest(presented, csrf_token(request)):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


async def get_clients(request: Request) -> ServiceClients:
    clients = portal_of(request).clients
    if clients is None:
        raise HTTPException(status_code=503, detail="backend clients not ready")
    return clients


Clients = Annotated[ServiceClients, Depends(get_clients)]


def actor_headers(user: User) -> dict[str, str]:
    """Header naming the acting user, for calls to the services' internal APIs."""
    return {ACTOR_HEADER: user.user_id}


__all__ = [
    "ROLES",
    "STAFF",
    "Clients",
    "CurrentUser",
    "FieldError",
    "OptionalUser",
    "RuntimeDep",
    "ServiceClients",
    "SessionDep",
    "User",
    "actor_headers",
    "audit",
    "has_route",
    "render",
    "require_roles",
    "verify_csrf",
]


def backend_path(path: str) -> str:
    """`path` with every segment percent-encoded: an id taken from the request ("?", "#",
    "..") must not add a query or reach another route of the backend."""
    return "/".join(
        "%2E" * len(seg) if seg in (".", "..") else quote(seg, safe="@:") for seg in path.split("/")
    )
