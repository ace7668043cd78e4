"""HTTP adapter of the disputes service: app factory and routes (all under /internal/v1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, Field
from temporalio.client import Client

from services.disputes import rollout, rules_admin, service, supervision
from services.disputes.deps import SessionDep, TemporalDep
from services.disputes.models import outbox
from services.disputes.schemas import (
    CaseRead,
    CaseSummary,
    Figures,
    OfficerRead,
    RetryRead,
    StuckBoard,
    VillageRead,
)
from shared.config import DisputesSettings
from shared.db import transaction
from shared.runtime import RuntimeDep, ServiceRuntime, create_service_app
from shared.tasks import TaskPage
from shared.web import internal_guard
from workflows.disputes.client import field_report_problem, start_case
from workflows.disputes.types import DisputeIntake

SERVICE = "disputes"
Colour = Annotated[str | None, Query(pattern="^(red|yellow|green)$")]


class CaseStarted(BaseModel):
    case_id: str


class RetryCreate(BaseModel):
    actor_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)


def create_app(
    settings: DisputesSettings,
    *,
    runtime: ServiceRuntime | None = None,
    temporal: Client | None = None,
) -> FastAPI:
    rt = runtime or ServiceRuntime(SERVICE, settings, outbox=outbox)
    app = create_service_app(SERVICE, settings, title="Fengqiao disputes service", runtime=rt)
    app.state.settings = settings
    app.state.temporal = temporal
    internal = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(settings.internal_token))]
    )

    @internal.get("/tasks")
    async def tasks(
        session: SessionDep,
        assignee: str | None = None,
        station: str | None = None,
        colour: Colour = None,
        village: str | None = None,
        kind: str | None = None,
    ) -> TaskPage:
        return await service.list_tasks(
            session,
            now=datetime.now(UTC),
            assignee=assignee,
            station=station,
            colour=colour,
            village=village,
            kind=kind,
        )

    @internal.get("/cases/{case_id}")
    async def case(session: SessionDep, case_id: str) -> CaseRead:
        try:
            return await service.case_detail(session, case_id)
        except service.NotFound:
            raise HTTPException(404, detail=f"case {case_id} not found") from None

    @internal.get("/cases")
    async def cases(
        session: SessionDep, resident_id: str | None = None, station: str | None = None
    ) -> list[CaseSummary]:
        if not resident_id and not station:
            raise HTTPException(
                422,
                detail=[{"loc": ["query", "resident_id"], "msg": "give resident_id or station"}],
            )
        return await service.list_cases(session, resident_id=resident_id, station=station)

    @internal.post("/cases", status_code=201)
    async def start(session: SessionDep, temporal: TemporalDep, body: DisputeIntake) -> CaseStarted:
        if not await service.village_exists(session, body.village_code):
            raise HTTPException(
                422,
                detail=[{"loc": ["body", "village_code"], "msg": "unknown village"}],
            )
        problem = field_report_problem(body, now=datetime.now(UTC))
        if problem:
            raise HTTPException(
                422, detail=[{"loc": ["body", "reported_in_field_at"], "msg": problem}]
            )
        case_id = await start_case(temporal, body, task_queue=settings.task_queue)
        return CaseStarted(case_id=case_id)

    @internal.get("/stuck")
    async def stuck(
        session: SessionDep, temporal: TemporalDep, station: str | None = None
    ) -> StuckBoard:
        items = await service.business_stuck(
            session,
            now=datetime.now(UTC),
            station=station,
            idle=timedelta(hours=settings.stuck_idle_hours),
        )
        items += await supervision.technical_stuck(temporal, station=station)
        names = await service.station_names(
            session, {r.station_code for r in items if r.station_code}
        )
        by_station: dict[str, int] = {}
        by_officer: dict[str, int] = {}
        for row in items:
            row.station_name = names.get(row.station_code or "")
            by_station[row.station_code or "?"] = by_station.get(row.station_code or "?", 0) + 1
            by_officer[row.assignee_id or "?"] = by_officer.get(row.assignee_id or "?", 0) + 1
        return StuckBoard(items=items, by_station=by_station, by_officer=by_officer)

    @internal.get("/figures")
    async def figures(session: SessionDep) -> Figures:
        return await service.figures(session)

    @internal.get("/directory/villages")
    async def villages(session: SessionDep, station: str | None = None) -> list[VillageRead]:
        return await service.villages(session, station)

    @internal.get("/directory/officers")
    async def officers(session: SessionDep, station: str | None = None) -> list[OfficerRead]:
        return await service.officers(session, station)

    @internal.post("/supervision/retry/{case_id}")
    async def retry(
        runtime: RuntimeDep, temporal: TemporalDep, case_id: str, body: RetryCreate
    ) -> RetryRead:
        try:
            n = await supervision.retry_now(temporal, case_id, identity=body.actor_id)
        except supervision.WorkflowMissing:
            raise HTTPException(404, detail=f"case {case_id} not found") from None
        if n == 0:
            raise HTTPException(409, detail="no activity of this case is waiting to be retried")
        async with transaction(runtime.factory) as session:
            await service.audit(
                session,
                case_id=case_id,
                actor_id=body.actor_id,
                action="retry",
                reason=body.reason,
                at=datetime.now(UTC),
            )
        return RetryRead(case_id=case_id, activities_reset=n)

    app.include_router(internal)
    app.include_router(rules_admin.router(settings))
    app.include_router(rollout.make_router(settings.internal_token, settings.lifecycle_file))
    return app
