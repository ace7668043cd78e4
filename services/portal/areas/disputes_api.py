"""Disputes area, the public JSON API (bearer token): the same actions as the pages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from services.portal.areas import _disputes_backend as backend
from services.portal.areas import _tasks_backend as task_list
from services.portal.areas import _visits_board as visits
from services.portal.areas._disputes_actions_api import (
    ERRORS,
    IdempotencyKey,
    Problem,
    Staff,
    actions,
    key_reused,
)
from services.portal.areas._disputes_intake import (
    MAX_HOUSEHOLDS,
    MAX_PARTIES,
    check_intake,
    count_report,
)
from services.portal.areas._disputes_labels import NEXT_STEPS
from services.portal.areas._disputes_models import CaseDetail
from services.portal.areas._visits_board import VisitRow
from services.portal.areas.disputes_supervision import (
    StuckRow,
    WorkerStatus,
    stuck_rows,
    worker_status,
)
from services.portal.deps import Clients, ServiceClients, User, require_roles
from shared.contracts.disputes import (
    Category,
    DisputeIntake,
    Household,
    Party,
    RiskFacts,
    field_report_problem,
)
from shared.tasks import TaskPage

api = APIRouter(prefix="/api/v1")
Reporter = Depends(require_roles(*backend.STAFF_ROLES, "resident"))
Supervisor = Depends(require_roles(*backend.SUPERVISORS))


class DisputeCreate(BaseModel):
    """A new case. A resident is recorded as reporter and complainant automatically."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is refused, not dropped

    category: Category
    description: str = Field(min_length=1, max_length=4000)
    village_code: str = Field(min_length=1, max_length=16)
    parties: list[Party] = Field(
        default=[],
        max_length=MAX_PARTIES,
        description="staff: at least one; a resident: the others",
    )
    households: list[Household] = Field(default=[], max_length=MAX_HOUSEHOLDS)
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


REGISTRATION_WAIT_SECONDS = 10.0


async def registered(clients: ServiceClients, user: User, case_id: str) -> bool:
    """Whether the case became readable (its registration activity ran) within the wait: the
    workflow answers queries only from then on, the service's tables a moment later."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REGISTRATION_WAIT_SECONDS
    delay = 0.02
    while True:
        try:
            await backend.fetch_case(clients, user, case_id)
            return True
        except HTTPException as exc:
            if exc.status_code != 404 or loop.time() >= deadline:
                return exc.status_code != 404
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


@api.post(
    "/disputes",
    status_code=201,
    response_model=DisputeCreated,
    responses={
        202: {
            "model": DisputeCreated,
            "description": "started, still being registered (the worker is slow): `url` may "
            "answer 404 for a while; retry after the `Retry-After` seconds",
        },
        403: ERRORS[403],
        409: {"model": Problem, "description": "the Idempotency-Key came with another body"},
    },
)
async def create_dispute(
    request: Request,
    response: Response,
    body: DisputeCreate,
    clients: Clients,
    idempotency_key: IdempotencyKey = None,
    user: User = Reporter,
) -> DisputeCreated | JSONResponse:
    """Starts the case. 201 once it is registered: its `url` is readable from then on; 202
    when registration takes longer than a few seconds. A retry with the same
    Idempotency-Key answers the same case; the key with another body is refused (409).

    Rules no schema can state, answered 422 naming the field: `village_code` must be a
    village of the directory (of the officer's own station for officers); staff name at
    least one party in `parties` (a resident is recorded as complainant automatically)."""
    if idempotency_key:
        reused = await key_reused(request, user, idempotency_key, "create", body.model_dump_json())
        if reused is not None:
            return reused
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
            codes = {v.code for v in await backend.villages(clients, user, user.station_code)}
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
    factory = request.app.state.runtime.factory
    limit = request.app.state.portal.settings.reports_per_day
    intake = await check_intake(factory, user, intake, reports_per_day=limit)
    problem = field_report_problem(
        intake.reporter_kind, intake.reported_in_field_at, now=datetime.now(UTC)
    )
    if problem:
        raise RequestValidationError(
            [{"loc": ("body", "reported_in_field_at"), "msg": problem, "type": "value_error"}]
        )
    case_id = await backend.start_case(clients, user, intake)
    await count_report(factory, user, case_id)
    created = DisputeCreated(case_id=case_id, url=f"/api/v1/disputes/{case_id}")
    if await registered(clients, user, case_id):
        response.headers["Location"] = created.url
        return created
    headers = {"Location": created.url, "Retry-After": "5"}
    return JSONResponse(created.model_dump(), status_code=202, headers=headers)


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
    tasks, missing = await task_list.merged_tasks(clients, user)
    if "disputes" in missing:
        return JSONResponse({"detail": "the disputes service is not available right now"}, 503)
    shown = task_list.filter_tasks(tasks, colour=colour, village=village, kind=kind)
    return TaskPage(items=shown, counts=task_list.counts_by_kind(tasks))


class StuckPage(BaseModel):
    items: list[StuckRow]
    home_visits: list[VisitRow] = Field(
        default=[], description="overdue and technically stuck door-to-door visits"
    )
    home_visits_unavailable: str | None = Field(
        default=None, description="why the visits are missing (the appointments service)"
    )
    workers: WorkerStatus | None = Field(
        default=None,
        description="whether a worker polls the disputes task queue (`why`: 'no worker is "
        "polling the task queue ...' after a killed worker); null when unknown",
    )


@api.get("/supervision/stuck", response_model=StuckPage)
async def stuck(clients: Clients, user: User = Supervisor) -> StuckPage:
    cases = await backend.stuck(clients, user)
    board = await visits.board(clients, user)
    return StuckPage(
        items=stuck_rows(cases.items),
        home_visits=board.items,
        home_visits_unavailable=board.unavailable,
        workers=worker_status(cases.workers),
    )


api.include_router(actions)
