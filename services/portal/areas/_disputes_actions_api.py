"""Disputes area, the public JSON API: the officers' and supervisors' actions on a case, one
operation per action with its own body (`POST /api/v1/disputes/{case_id}/accept`, ...), and
the generic `.../actions/{action}` path as a deprecated alias. Included by `disputes_api`."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from services.portal import idempotency
from services.portal.areas import _disputes_backend as backend
from services.portal.areas._disputes_forms import SUPERVISOR_ACTIONS
from services.portal.deps import Clients, ServiceClients, User, require_roles
from shared.contracts.disputes import ACTIONS, CaseView

actions = APIRouter()
Staff = Depends(require_roles(*backend.STAFF_ROLES))

ActionName = Literal[
    "accept",
    "decline",
    "follow-up",
    "regrade",
    "link-partner",
    "partner-reply",
    "propose-closure",
    "approve-closure",
    "reject-closure",
    "return-visit",
    "reassign",
    "escalate",
    "cancel",
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="A retried request with the same key acts once; the key with another "
        "request is refused (409).",
    ),
]


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "outside your role or jurisdiction"},
    404: {"model": Problem, "description": "no such case"},
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def action_bodies() -> dict[str, Any]:
    """OpenAPI request body of the action endpoint: one schema per action (self-contained)."""
    schemas = []
    for name, model in ACTIONS.items():
        schema = model.model_json_schema()
        schema = _inline(schema, schema.get("$defs", {}))
        schema["title"] = f"{name}: {model.__name__}"
        schemas.append(schema)
    return {"requestBody": {"content": {"application/json": {"schema": {"oneOf": schemas}}}}}


def _body_errors(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    )


async def key_reused(
    request: Request, user: User, key: str, operation: str, body: str
) -> JSONResponse | None:
    """409 when `key` came before with another request (the backends would replay the first
    request's answer for this one)."""
    try:
        await idempotency.claim(
            request.app.state.runtime.factory,
            user_id=user.user_id,
            key=key,
            print_=idempotency.fingerprint(operation, body),
        )
    except idempotency.KeyReused as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    return None


async def _perform(
    request: Request,
    clients: ServiceClients,
    user: User,
    case_id: str,
    action: str,
    payload: BaseModel,
    idempotency_key: str | None,
) -> CaseView | JSONResponse:
    if idempotency_key:
        reused = await key_reused(
            request, user, idempotency_key, f"{action} {case_id}", payload.model_dump_json()
        )
        if reused is not None:
            return reused
    await backend.fetch_case(clients, user, case_id)
    try:
        view = await backend.act(clients, user, case_id, action, payload, idempotency_key)
    except backend.ActionRefused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=409)
    if action in SUPERVISOR_ACTIONS:
        reason = getattr(payload, "reason", "")
        detail = {"reason": reason, "via": "api", "key": idempotency_key}
        await backend.record(request, user, f"dispute.{action}", case_id, detail)
    return view


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {
        "model": Problem,
        "description": "refused by the case's workflow, with its reason; or the "
        "Idempotency-Key came with another body",
    },
}


def _blank_checked(model: type[BaseModel]) -> type[BaseModel]:
    """The action's input as published: a field the workflow refuses when blank says so in
    its schema (at least one non-space character), so a schema-valid body is accepted."""
    fields = {
        f for d in model.__pydantic_decorators__.field_validators.values() for f in d.info.fields
    }

    def extra(schema: dict[str, Any]) -> None:
        for name in fields:
            schema["properties"][name]["pattern"] = r"\S"

    config = ConfigDict(extra="forbid", json_schema_extra=extra)
    return type(model.__name__, (model,), {"model_config": config, "__doc__": model.__doc__})


def _action_route(action: str, model: type[BaseModel]) -> None:
    body_model = _blank_checked(model)

    async def endpoint(
        request: Request,
        case_id: str,
        body: Any,
        clients: Clients,
        idempotency_key: IdempotencyKey = None,
        user: User = Staff,
    ) -> CaseView | JSONResponse:
        return await _perform(request, clients, user, case_id, action, body, idempotency_key)

    endpoint.__annotations__["body"] = body_model
    name = action.replace("-", "_")
    endpoint.__name__ = f"dispute_{name}"
    actions.add_api_route(
        f"/disputes/{{case_id}}/{action}",
        endpoint,
        methods=["POST"],
        response_model=CaseView,
        responses=ACTION_RESPONSES,
        operation_id=f"dispute_{name}",
        summary=f"{action} ({model.__name__})",
        description=f"Performs `{action}` on the case through its workflow; 409 when the "
        "workflow refuses it in the case's stage, with its reason.",
    )


for _action, _model in ACTIONS.items():
    _action_route(_action, _model)

SUNSET = "Wed, 30 Jun 2027 00:00:00 GMT"
DEPRECATED_SINCE = "@1796083200"  # 2026-12-01T00:00:00Z, RFC 9745


@actions.post(
    "/disputes/{case_id}/actions/{action}",
    response_model=CaseView,
    responses=ACTION_RESPONSES,
    openapi_extra=action_bodies(),
    deprecated=True,
    summary="Any action by name (deprecated alias of POST /api/v1/disputes/{case_id}/{action})",
)
async def act_on_dispute(
    request: Request,
    response: Response,
    case_id: str,
    clients: Clients,
    action: Annotated[ActionName, Path(description="one of " + ", ".join(ACTIONS))],
    idempotency_key: IdempotencyKey = None,
    user: User = Staff,
) -> CaseView | JSONResponse:
    """Deprecated since 2026-12-01, removed after the Sunset date (30 June 2027): use the
    action's own operation, which has the same answers and a typed body. Every answer carries
    `Deprecation`, `Sunset` and a `Link` to its successor."""
    headers = {
        "Deprecation": DEPRECATED_SINCE,
        "Sunset": SUNSET,
        "Link": f'</api/v1/disputes/{case_id}/{action}>; rel="successor-version"',
    }
    response.headers.update(headers)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "a JSON object is required", "type": "json_invalid"}]
        )
    try:
        payload = backend.parse_action(action, body)
    except ValidationError as exc:
        raise _body_errors(exc) from exc
    answer = await _perform(request, clients, user, case_id, action, payload, idempotency_key)
    if isinstance(answer, JSONResponse):
        answer.headers.update(headers)
    return answer
