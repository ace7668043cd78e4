"""Projection reconciliation, the other way round: a running dispute workflow whose case row is
missing (deleted behind the system's back, a restore from an older backup) gets its row rebuilt
(no FastAPI here). What the case is now (stage, colour, assignee, deadline, open tasks) comes
from the workflow's query; what it was reported as (category, description, parties, households)
from the input the workflow was started with. No timeline entry is written: the workflow's own
next transitions number theirs, and a rebuilt entry must not take one of their numbers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client

from services.disputes import service
from services.disputes.models import Case, CaseHousehold, Party, Station, Task, Village
from shared.temporal import dispute_workflow_id
from workflows.disputes.client import QUERY_NAME
from workflows.disputes.steps import TITLES
from workflows.disputes.types import CaseView, StartInput

log = logging.getLogger("fengqiao.disputes.reconcile")
RPC_TIMEOUT = timedelta(seconds=5)
# a workflow younger than this may still be writing its first row: left to itself
MIN_AGE = timedelta(minutes=1)


async def running_without_row(
    factory: async_sessionmaker[AsyncSession],
    client: Client,
    *,
    station: str | None,
    task_queue: str | None,
    min_age: timedelta = MIN_AGE,
    limit: int = 1000,
) -> list[str]:
    """Case ids of running dispute workflows (of `station`, on `task_queue`, older than
    `min_age`) that have no case row."""
    now = datetime.now(UTC)
    query = "FqKind = 'dispute' AND ExecutionStatus = 'Running'"
    if station:
        query += f" AND FqStation = '{station.replace(chr(39), '')}'"
    if task_queue:
        query += f" AND TaskQueue = '{task_queue.replace(chr(39), '')}'"
    ids = [
        wf.id.removeprefix("dispute-")
        async for wf in client.list_workflows(query, limit=limit, rpc_timeout=RPC_TIMEOUT)
        if wf.start_time is None or wf.start_time <= now - min_age
    ]
    if not ids:
        return []
    async with factory() as session:
        known = set(
            (await session.scalars(select(Case.case_id).where(Case.case_id.in_(ids)))).all()
        )
    return [i for i in ids if i not in known]


async def _started_with(client: Client, case_id: str) -> StartInput:
    resp = await client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=dispute_workflow_id(case_id)),
            maximum_page_size=1,
        ),
        timeout=RPC_TIMEOUT,
    )
    started = resp.history.events[0].workflow_execution_started_event_attributes
    [inp] = await client.data_converter.decode(started.input.payloads, [StartInput])
    if not isinstance(inp, StartInput):
        raise TypeError(f"case {case_id}: unexpected start input")
    return inp


def _task_kind(case_id: str, task_id: str) -> str:
    """`{case_id}-{kind}-{n}` (steps.new_task) -> kind."""
    return task_id.removeprefix(f"{case_id}-").rsplit("-", 1)[0]


async def rebuild(
    factory: async_sessionmaker[AsyncSession], client: Client, case_id: str, *, actor: str
) -> int | None:
    """Rebuild the case's row, parties, households and open tasks; None when the workflow
    cannot say (still being registered) or the row came back meanwhile. Returns the tasks
    rebuilt."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        view = await handle.query(QUERY_NAME, result_type=CaseView, rpc_timeout=RPC_TIMEOUT)
    except Exception as exc:  # still being registered: its own first step writes the row
        log.info("reconcile: case %s has no view yet: %s", case_id, exc)
        return None
    intake = (await _started_with(client, case_id)).intake
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        if await session.get(Case, case_id) is not None:
            return None
        village = await session.get(Village, view.village_code)
        station = await session.get(Station, view.station_code or "")
        session.add(
            Case(
                case_id=case_id,
                case_no=view.case_no,
                category=intake.category,
                description=intake.description,
                village_code=view.village_code,
                station_code=view.station_code or (village.station_code if village else ""),
                township=village.township if village else "",
                reporter_kind=intake.reporter_kind,
                reporter_id=intake.reporter_id,
                reported_at=intake.reported_at or now,
                risk=intake.risk.model_dump(),
                stage=view.stage,
                colour=view.colour,
                rules_fired=view.rules_fired,
                assignee_id=view.assignee_id,
                stage_since=now,
                stage_deadline=view.stage_deadline,
                settlement=view.settlement,
                closed_at=None,
                updated_at=now,
            )
        )
        await session.flush()
        for i, p in enumerate(intake.parties):
            session.add(
                Party(
                    case_id=case_id,
                    position=i,
                    name=p.name,
                    phone=p.phone,
                    id_number=p.id_number,
                    role=p.role,
                    user_id=p.user_id,
                )
            )
        for h in {h.household_id: h for h in intake.households}.values():
            session.add(CaseHousehold(case_id=case_id, household_id=h.household_id, name=h.name))
        for task_id in view.open_tasks:
            kind = _task_kind(case_id, task_id)
            chief = station.chief_id if station else None
            session.add(
                Task(
                    task_id=task_id,
                    case_id=case_id,
                    kind=kind,
                    title=f"{TITLES.get(kind, kind)} {view.case_no}",
                    assignee_id=chief if kind == "closure_approval" else view.assignee_id,
                    station_code=view.station_code or "",
                    village_code=view.village_code,
                    colour=view.colour,
                    opened_at=now,
                    due_at=view.stage_deadline,
                    closed_at=None,
                )
            )
        note = f"case row rebuilt from its running workflow (stage {view.stage})"
        await service.audit(
            session, case_id=case_id, actor_id=actor, action="reconcile", reason=note, at=now
        )
    return len(view.open_tasks)
