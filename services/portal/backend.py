"""The portal's one client of the services' internal APIs: a call returns the service's answer
as its shared contract model (shared/contracts, shared/tasks) and turns a refusal into the
portal's own answers: 422 with every field and reason, 4xx with the service's reason, 503
when the service is down. Areas keep their scope rules; none parses a service's answer itself.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, overload

import httpx
from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.portal.deps import FieldError, ServiceClients, User, actor_headers, backend_path

log = logging.getLogger("fengqiao.portal.backend")
API = "/internal/v1"
SKIPPED = ("body", "query", "path", "payload")
T = TypeVar("T")


class Problem(BaseModel):
    field: str
    reason: str
    type: str = "value_error"


class Problems(FieldError):
    """A 422 of a service with every problem it found (an administrator fixing a rule set
    wants them all at once); a page that shows one field error sees the first."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0] if problems else Problem(field="body", reason="invalid input")
        super().__init__(first.field, first.reason)
        self.problems = problems or [first]

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": [p.model_dump() for p in self.problems]}, status_code=422)


def problems_of(body: Any) -> list[Problem]:
    """The problems of a service's 422 (FastAPI's `detail` list or shared/errors.py's
    problem+json, which carries the same list)."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not detail:
        return [Problem(field="body", reason=str(detail or "invalid input"))]
    out = []
    for d in detail:
        if not isinstance(d, dict):
            continue
        loc = [str(p) for p in d.get("loc", []) if p not in SKIPPED]
        field = d.get("field") or ".".join(loc) or "body"
        out.append(
            Problem(
                field=str(field),
                reason=str(d.get("reason") or d.get("msg") or "invalid input"),
                type=str(d.get("type", "value_error")),
            )
        )
    return out or [Problem(field="body", reason="invalid input")]


def reason_of(resp: httpx.Response, default: str = "refused") -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text or default
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail is not None else default


def service_reason(resp: httpx.Response) -> str | None:
    """The reason a service gave for its 503 (e.g. "the disputes database is unreachable; try
    again shortly"), shown instead of only naming the service; None when it gave none."""
    if resp.status_code != 503:
        return None
    try:
        body = resp.json()
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) and reason else None


@overload
async def call_service(
    client: httpx.AsyncClient,
    unavailable: str,
    method: str,
    path: str,
    user: User | None,
    *,
    answer: type[T],
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> T: ...


@overload
async def call_service(
    client: httpx.AsyncClient,
    unavailable: str,
    method: str,
    path: str,
    user: User | None,
    *,
    answer: None = None,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> Any: ...


async def call_service(
    client: httpx.AsyncClient,
    unavailable: str,
    method: str,
    path: str,
    user: User | None,
    *,
    answer: type[T] | None = None,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """`unavailable` is the sentence shown when the service cannot answer; `user` is the
    acting person (None for calls that act for nobody in particular); `answer` the shared
    model of a 2xx answer (a model, or e.g. `list[Model]`): an answer that does not fit it
    is a service out of step with the contract, shown as unavailable and logged."""
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
        raise HTTPException(503, service_reason(resp) or unavailable)
    if resp.status_code == 422:
        try:
            body = resp.json()
        except ValueError:
            body = None
        raise Problems(problems_of(body))
    if resp.status_code >= 400:
        raise HTTPException(resp.status_code, reason_of(resp))
    if resp.status_code == 204:
        return None
    data = resp.json()
    if answer is None:
        return data
    try:
        return TypeAdapter(answer).validate_python(data)
    except ValidationError as exc:
        log.error("%s: answer of %s %s does not fit %s: %s", unavailable, method, path, answer, exc)
        raise HTTPException(503, unavailable) from exc


class ServiceCall:
    """`call_service` bound to one service (its client among the portal's, the sentence shown
    when it cannot answer), called as `call(clients, method, path, user, answer, ...)`."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.unavailable = f"the {service} service is not available right now"

    async def __call__(
        self,
        clients: ServiceClients,
        method: str,
        path: str,
        user: User,
        answer: type[T],
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> T:
        client: httpx.AsyncClient = getattr(clients, self.service)
        return await call_service(
            client, self.unavailable, method, path, user, answer=answer, json=json, params=params
        )
