"""Disputes area, the public JSON API (bearer token): the same actions as the pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from services.portal.areas import _disputes_backend as backend
from services.portal.areas._disputes_forms import SUPERVISOR_ACTIONS
from services.portal.areas._disputes_labels import NEXT_STEPS
from services.portal.areas._disputes_models import CaseDetail
from services.portal.areas.disputes_supervision import StuckRow, stuck_rows
from services.portal.deps import Clients, User, require_roles
from shared.tasks import TaskPage
from workflows.disputes.client import ActionRefused, field_report_problem
from workflows.disputes.types import (
    ACTIONS,
    CaseView,
    Category,
    DisputeIntake,
    Household,
    Party,
    RiskFacts,
)

api = APIRouter(prefix="/api/v1")

Staff = Depends(require_roles(*backend.STAFF_ROLES))
Reporter = Depends(require_roles(*backend.STAFF_ROLES, "resident"))
Supervisor = Depends(require_roles(*backend.SUPERVISORS))
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
        description="A retried request with the same key acts once.",
    ),
]


class Problem(BaseModel):
    detail: str


class DisputeCreate(BaseModel):
    """A new case. A resident is recorded as reporter and complainant automatically."""

    category: Category
    description: str = Field(min_length=1, max_length=4000)
    village_code: str = Field(min_length=1, max_length=16)
    parties: list[Party] = []
    households: list[Household] = []
    risk: RiskFacts = RiskFacts()
    reported_in_field_at: datetime | None = Field(
        default=None,
        description="staff only: when the case was reported earlier in the field"
        " (with time zone; not in the future, at most 30 days back)",
    )


class DisputeCreated(BaseModel):
    case_id: str
    url: str


class ResidentCaseRead(BaseModel):
    """What a resident may see of their own case: no other party's data."""

    case_id: str
    case_no: str
    category: str
    stage: str
    handled_by: str | None
    next_step: str
    reported_at: datetime | None


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


@api.post(
    "/disputes",
    status_code=201,
    response_model=DisputeCreated,
    responses={403: ERRORS[403], 503: {"model": Problem}},
)
async def create_dispute(
    body: DisputeCreate,
    clients: Clients,
    idempotency_key: IdempotencyKey = None,
    user: User = Reporter,
) -> DisputeCreated:
    data = body.model_dump()
    if user.role == "resident":
        me = Party(
            name=user.display_name, phone=user.phone or "", role="complainant", user_id=user.user_id
        )
        data["parties"] = [
            me.model_dump(),
            *[p for p in data["parties"] if p.get("user_id") != user.user_id],
        ]
        data.update(reporter_kind="resident", reporter_id=user.user_id)
    else:
        if not data["parties"]:
            raise RequestValidationError(
                [{"loc": ("body", "parties"), "msg": "at least one party", "type": "too_short"}]
            )
        data.update(reporter_kind="officer", reporter_id=user.user_id)
        if user.role != "admin":
            codes = {
                str(v.get("code")) for v in await backend.villages(clients, user, user.station_code)
            }
            if codes and body.village_code not in codes:
                raise RequestValidationError(
                    [
                        {
                            "loc": ("body", "village_code"),
                            "msg": "not a village of your station",
                            "type": "value_error",
                        }
                    ]
                )
    data["case_id"] = backend.case_id_for(user, idempotency_key)
    intake = DisputeIntake.model_validate(data)
    problem = field_report_problem(intake, now=datetime.now(UTC))
    if problem:
        raise RequestValidationError(
            [{"loc": ("body", "reported_in_field_at"), "msg": problem, "type": "value_error"}]
        )
    case_id = await backend.start_case(clients, user, intake)
    return DisputeCreated(case_id=case_id, url=f"/api/v1/disputes/{case_id}")


@api.get(
    "/disputes/{case_id}",
    response_model=CaseDetail | ResidentCaseRead,
    responses=ERRORS,
)
async def get_dispute(
    case_id: str, clients: Clients, user: User = Reporter
) -> CaseDetail | ResidentCaseRead:
    case = await backend.named(clients, user, await backend.fetch_case(clients, user, case_id))
    if user.role != "resident":
        return case.masked()
    return ResidentCaseRead(
        case_id=case.case_id,
        case_no=case.case_no,
        category=case.category,
        stage=case.stage,
        handled_by=case.assignee_name,
        next_step=NEXT_STEPS.get(case.stage, ""),
        reported_at=case.reported_at,
    )


@api.get("/tasks", response_model=TaskPage)
async def my_tasks(
    clients: Clients,
    user: User = Staff,
    colour: str | None = None,
    village: str | None = None,
    kind: str | None = None,
) -> JSONResponse | TaskPage:
    tasks, missing = await backend.merged_tasks(clients, user)
    if "disputes" in missing:
        return JSONResponse({"detail": "the disputes service is not available right now"}, 503)
    shown = backend.filter_tasks(tasks, colour=colour, village=village, kind=kind)
    return TaskPage(items=shown, counts=backend.counts_by_kind(tasks))


@api.post(
    "/disputes/{case_id}/actions/{action}",
    response_model=CaseView,
    responses={**ERRORS, 409: {"model": Problem, "description": "refused by the workflow"}},
    openapi_extra=action_bodies(),
)
async def act_on_dispute(
    request: Request,
    case_id: str,
    clients: Clients,
    action: Annotated[ActionName, Path(description="one of " + ", ".join(ACTIONS))],
    idempotency_key: IdempotencyKey = None,
    user: User = Staff,
) -> CaseView | JSONResponse:
    """The body is the action's input (see the workflow's types: e.g. `follow-up` takes
    `done`, `outcome`, `helper_ids`, `risk`). 409 when the workflow refuses, with its reason."""
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
    await backend.fetch_case(clients, user, case_id)
    try:
        view = await backend.act(clients, user, case_id, action, payload, idempotency_key)
    except ActionRefused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=409)
    if action in SUPERVISOR_ACTIONS:
        detail = {"reason": body.get("reason", ""), "via": "api", "key": idempotency_key}
        await backend.record(request, user, f"dispute.{action}", case_id, detail)
    return view


class StuckPage(BaseModel):
    items: list[StuckRow]


@api.get("/supervision/stuck", response_model=StuckPage)
async def stuck(clients: Clients, user: User = Supervisor) -> StuckPage:
    return StuckPage(items=stuck_rows(await backend.stuck(clients, user)))
