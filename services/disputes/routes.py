"""The disputes service's internal routes (mounted under /internal/v1, portal only)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from temporalio.service import RPCError

from services.disputes import board, lifecycle_policy, repair, service, supervision
from services.disputes.deps import SessionDep, SettingsDep, TemporalDep
from shared import pollers
from shared.contracts.disputes_read import (
    CaseRead,
    CaseStarted,
    CaseSummary,
    Figures,
    OfficerRead,
    RetryRead,
    StuckBoard,
    VillageRead,
)
from shared.db import transaction
from shared.errors import Conflict, Invalid, NotFound
from shared.runtime import RuntimeDep
from shared.tasks import TaskPage
from workflows.disputes.client import field_report_problem, start_case
from workflows.disputes.types import DisputeIntake

log = logging.getLogger("fengqiao.disputes")

Colour = Annotated[str | None, Query(pattern="^(red|yellow|green)$")]

router = APIRouter(tags=["disputes"])


class RetryCreate(BaseModel):
    actor_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)


@router.get("/tasks")
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


@router.get("/cases/{case_id}")
async def case(session: SessionDep, case_id: str) -> CaseRead:
    return await service.case_detail(session, case_id)


@router.get("/cases")
async def cases(
    session: SessionDep, resident_id: str | None = None, station: str | None = None
) -> list[CaseSummary]:
    if not resident_id and not station:
        raise Invalid("give resident_id or station", "resident_id")
    return await service.list_cases(session, resident_id=resident_id, station=station)


@router.post("/cases", status_code=201)
async def start(
    session: SessionDep, temporal: TemporalDep, settings: SettingsDep, body: DisputeIntake
) -> CaseStarted:
    if not await service.village_exists(session, body.village_code):
        raise Invalid("unknown or closed village", "village_code")
    problem = field_report_problem(body, now=datetime.now(UTC))
    if problem:
        raise Invalid(problem, "reported_in_field_at")
    # the deadlines in force now: the case keeps them (a later version reaches it only through
    # a roll-out)
    lifecycle = await lifecycle_policy.for_new_case(session)
    await session.commit()  # end the read before the worker writes the case (SQLite)
    case_id = await start_case(temporal, body, task_queue=settings.task_queue, lifecycle=lifecycle)
    return CaseStarted(case_id=case_id)


@router.get("/stuck")
async def stuck(
    session: SessionDep, temporal: TemporalDep, settings: SettingsDep, station: str | None = None
) -> StuckBoard:
    items = await board.business_stuck(
        session,
        now=datetime.now(UTC),
        station=station,
        idle=timedelta(hours=settings.stuck_idle_hours),
    )
    items += await supervision.technical_stuck(temporal, station=station)
    stale = timedelta(seconds=settings.worker_stale_seconds)
    try:
        workers = await pollers.worker_health(temporal, settings.task_queue, stale=stale)
    except RPCError as exc:
        log.warning("stuck board: the task queue's pollers are unknown: %s", exc)
        workers = None
    names = await service.station_names(session, {r.station_code for r in items if r.station_code})
    by_station: dict[str, int] = {}
    by_officer: dict[str, int] = {}
    for row in items:
        row.station_name = names.get(row.station_code or "")
        by_station[row.station_code or "?"] = by_station.get(row.station_code or "?", 0) + 1
        by_officer[row.assignee_id or "?"] = by_officer.get(row.assignee_id or "?", 0) + 1
    return StuckBoard(items=items, by_station=by_station, by_officer=by_officer, workers=workers)


@router.get("/figures")
async def figures(session: SessionDep) -> Figures:
    return await service.figures(session)


@router.get("/directory/villages")
async def villages(session: SessionDep, station: str | None = None) -> list[VillageRead]:
    return await service.villages(session, station)


@router.get("/directory/officers")
async def officers(session: SessionDep, station: str | None = None) -> list[OfficerRead]:
    return await service.officers(session, station)


@router.post("/supervision/retry/{case_id}")
async def retry(
    runtime: RuntimeDep, temporal: TemporalDep, case_id: str, body: RetryCreate
) -> RetryRead:
    try:
        n = await supervision.retry_now(temporal, case_id, identity=body.actor_id)
    except supervision.WorkflowMissing:
        raise NotFound(f"case {case_id} not found") from None
    if n == 0:
        raise Conflict("no activity of this case is waiting to be retried")
    async with transaction(runtime.factory) as session:
        await repair.record_repair(
            session,
            case_id=case_id,
            actor_id=body.actor_id,
            action="retry",
            reason=body.reason,
            at=datetime.now(UTC),
        )
    return RetryRead(case_id=case_id, activities_reset=n)
