"""One call from the portal to a backend service's internal API, with its refusals turned into
the portal's own answers: 422 with the field, 4xx with the service's reason, 503 when down."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import HTTPException

from services.portal.deps import FieldError, User, actor_headers, backend_path

log = logging.getLogger("fengqiao.portal.backend")
API = "/internal/v1"


async def call_service(
    client: httpx.AsyncClient,
    unavailable: str,
    method: str,
    path: str,
    user: User | None,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """`unavailable` is the sentence shown when the service cannot answer; `user` is the
    acting person (None for calls that act for nobody in particular)."""
    query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    try:
        resp = await client.request(
            method,
            API + backend_path(path),
            json=json,
            params=query,
            headers=actor_headers(user) if user is not None else None,
        )
    except httpx.HTTPError as exc:
        log.warning("%s: %s", unavailable, exc)
        raise HTTPException(503, unavailable) from exc
    if resp.status_code >= 500 or resp.status_code == 401:
        raise HTTPException(503, unavailable)
    if resp.status_code == 422:
        detail = resp.json().get("detail") or [{}]
        first = detail[0] if isinstance(detail, list) else {"msg": str(detail)}
        loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
        raise FieldError(".".join(loc) or "body", str(first.get("msg", "invalid input")))
    if resp.status_code >= 400:
        raise HTTPException(resp.status_code, str(resp.json().get("detail", "refused")))
    if resp.status_code == 204:
        return None
    return resp.json()
