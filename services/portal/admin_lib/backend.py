"""Calls from the administration areas to the services' internal admin APIs.

Unlike `areas/_*_backend.call_service`, a 422 keeps every problem the service found (an
administrator fixing a rule set wants them all at once, each next to its field)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.portal.deps import User, actor_headers, backend_path

log = logging.getLogger("fengqiao.portal.admin")
API = "/internal/v1"
SKIPPED = ("body", "query", "path")


class Problem(BaseModel):
    field: str
    reason: str
    type: str = "value_error"


class Problems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": [p.model_dump() for p in self.problems]}, status_code=422)


def problems_of(body: Any) -> list[Problem]:
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not detail:
        return [Problem(field="body", reason=str(detail or "invalid input"))]
    out = []
    for d in detail:
        loc = [str(p) for p in d.get("loc", []) if p not in SKIPPED]
        out.append(
            Problem(
                field=".".join(loc) or "body",
                reason=str(d.get("msg", "invalid input")),
                type=str(d.get("type", "value_error")),
            )
        )
    return out


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
    query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    try:
        resp = await client.request(
            method, API + backend_path(path), json=json, params=query, headers=actor_headers(user)
        )
    except httpx.HTTPError as exc:
        log.warning("%s: %s", unavailable, exc)
        raise HTTPException(503, unavailable) from exc
    if resp.status_code >= 500 or resp.status_code == 401:
        raise HTTPException(503, unavailable)
    if resp.status_code == 422:
        raise Problems(problems_of(resp.json()))
    if resp.status_code >= 400:
        raise HTTPException(resp.status_code, str(resp.json().get("detail", "refused")))
    return resp.json()
