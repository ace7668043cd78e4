"""Internal routes through which the portal drives the service's workflows: a case's live view,
officer and supervisor actions, and the board's repair and reconciliation actions.

Every route answers within its deadline: 404 (no such case), 409 (refused, with the reason),
422 (the field and why), 503 (busy: what the workflow waits on)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from services.disputes import board, live, partners, reconcile, repair
from services.disputes.deps import RuntimeDep, TemporalDep
from shared.config import DisputesSettings
from shared.contracts.disputes_read import ReconcileRead, RepairRead
from shared.db import transaction
from shared.runtime import ServiceRuntime
from shared.web import internal_guard
from workflows.disputes.types import Actor, CaseView

log = logging.getLogger("fengqiao.disputes")
OFFICER_FIELD = "payload.officer_id"
PAYLOAD_FIELD = "payload"


class ActionCreate(BaseModel):
    actor: Actor
    idempotency_key: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict)


def _busy(exc: live.Busy) -> HTTPException:
    return HTTPException(
        503, detail=f"the case is busy: {exc.reason}", headers={"Retry-After": "5"}
    )


def field_error(field: str, reason: str) -> HTTPException:
    return HTTPException(422, detail=[{"loc": ["body", *field.split(".")], "msg": reason}])


async def check_reassign_target(
    runtime: ServiceRuntime, temporal: Client, case_id: str, officer_id: str
) -> None:
    """A case goes only to an active officer of its own station (422 naming the field). The
    session ends before the workflow is asked: an open SQLite read would block its writes."""
    async with runtime.factory() as session:
        station = await board.case_station(session, case_id)
        officer = await board.officer_status(session, officer_id)
    if station is None:
        try:
            station = (await live.view(temporal, case_id)).station_code
        except (live.CaseMissing, live.Refused, live.Busy):
            station = None
    if officer is None:
        raise field_error(OFFICER_FIELD, "no such officer")
    officer_station, active = officer
    if not active:
        raise field_error(OFFICER_FIELD, "this officer is not active")
    if station is not None and officer_station != station:
        raise field_error(OFFICER_FIELD, "this officer belongs to another station")


class RepairCreate(BaseModel):
    actor_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)


REPAIRS = ("pause", "resume", "reset")


class ReconcileCreate(BaseModel):
    actor_id: str = Field(min_length=1)
    station: str | None = None


RECONCILE_EVERY = timedelta(minutes=10)


def run_periodically(
    app: FastAPI, job: Callable[[], Awaitable[object]], every: timedelta = RECONCILE_EVERY
) -> None:
    """Run `job` every `every` while the app runs (first run one period after start), as one
    of the service's background tasks (shared.runtime)."""

    async def loop(_app: FastAPI | None = None) -> None:
        while True:
            await asyncio.sleep(every.total_seconds())
            try:
                await job()
            except Exception as exc:  # the next round tries again
                log.warning("disputes: periodic reconciliation failed: %s", exc)

    app.state.background.append(loop)


def install(app: FastAPI, settings: DisputesSettings) -> None:
    """The routes below, and the periodic reconciliation of the case rows."""
    app.include_router(router(settings))

    async def job() -> None:
        rt: ServiceRuntime = app.state.runtime
        client = await app.state.temporal_link.get()
        await reconcile.reconcile(rt.factory, client, task_queue=settings.task_queue)

    run_periodically(app, job)


def router(settings: DisputesSettings) -> APIRouter:
    r = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(settings.internal_token))]
    )

    @r.get("/cases/{case_id}/live")
    async def live_view(temporal: TemporalDep, case_id: str) -> CaseView:
        try:
            return await live.view(temporal, case_id)
        except live.CaseMissing:
            raise HTTPException(404, detail=f"case {case_id} not found") from None
        except live.Refused as exc:  # still being registered
            raise HTTPException(409, detail=exc.reason) from None
        except live.Busy as exc:
            raise _busy(exc) from None

    @r.post("/cases/{case_id}/actions/{action}")
    async def act(
        runtime: RuntimeDep,
        temporal: TemporalDep,
        case_id: str,
        action: str,
        body: ActionCreate,
    ) -> CaseView:
        try:
            req = live.request_for(action, body.payload, body.actor, body.idempotency_key)
        except live.InvalidPayload as exc:
            raise field_error(PAYLOAD_FIELD, exc.reason) from None
        if action == "reassign":
            await check_reassign_target(runtime, temporal, case_id, str(req.payload["officer_id"]))
        async with runtime.factory() as session:  # closed before the workflow writes
            await partners.check_member(session, body.actor)
            if action == "link-partner":
                await partners.check_link(session, case_id, req.payload)
        try:
            return await live.perform(temporal, case_id, req)
        except live.CaseMissing:
            raise HTTPException(404, detail=f"case {case_id} not found") from None
        except live.Refused as exc:
            raise HTTPException(409, detail=exc.reason) from None
        except live.Busy as exc:
            raise _busy(exc) from None

    @r.post("/supervision/reconcile")
    async def reconcile_now(
        runtime: RuntimeDep, temporal: TemporalDep, body: ReconcileCreate
    ) -> ReconcileRead:
        return await reconcile.reconcile(
            runtime.factory,
            temporal,
            actor=body.actor_id,
            station=body.station,
            task_queue=settings.task_queue,
        )

    @r.post("/supervision/repair/{repair_name}/{case_id}")
    async def repair_case(
        runtime: RuntimeDep,
        temporal: TemporalDep,
        repair_name: str,
        case_id: str,
        body: RepairCreate,
    ) -> RepairRead:
        """pause / resume the failing activity, or reset to the last good point; audited."""
        if repair_name not in REPAIRS:
            raise HTTPException(404, detail=f"no repair {repair_name!r}")
        try:
            if repair_name == "reset":
                run_id = await repair.reset_to_last_good(
                    temporal, case_id, identity=body.actor_id, reason=body.reason
                )
                done = RepairRead(case_id=case_id, repair=repair_name, run_id=run_id)
            elif repair_name == "pause":
                n = await repair.pause(
                    temporal, case_id, identity=body.actor_id, reason=body.reason
                )
                done = RepairRead(case_id=case_id, repair=repair_name, activities=n)
            else:
                n = await repair.resume(temporal, case_id, identity=body.actor_id)
                done = RepairRead(case_id=case_id, repair=repair_name, activities=n)
        except repair.CaseMissing:
            raise HTTPException(404, detail=f"case {case_id} not found") from None
        except repair.CannotRepair as exc:
            raise HTTPException(409, detail=exc.reason) from None
        except RPCError as exc:
            if exc.status in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.FAILED_PRECONDITION):
                raise HTTPException(409, detail=f"the server refused: {exc.message}") from None
            raise
        async with transaction(runtime.factory) as session:
            await repair.record_repair(
                session,
                case_id=case_id,
                actor_id=body.actor_id,
                action=repair_name,
                reason=body.reason,
                at=datetime.now(UTC),
            )
        return done

    @r.post("/supervision/terminate/{case_id}")
    async def terminate(
        runtime: RuntimeDep, temporal: TemporalDep, case_id: str, body: RepairCreate
    ) -> ReconcileRead:
        """The last resort: end the workflow with the reason (audited, in the case timeline);
        the row and tasks close."""
        try:
            await reconcile.terminate(temporal, case_id, reason=f"{body.actor_id}: {body.reason}")
        except reconcile.NotRunning:
            raise HTTPException(409, detail="the case's workflow is not running") from None
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise HTTPException(404, detail=f"case {case_id} not found") from None
            raise
        async with transaction(runtime.factory) as session:
            await repair.record_repair(
                session,
                case_id=case_id,
                actor_id=body.actor_id,
                action="terminate",
                reason=body.reason,
                at=datetime.now(UTC),
            )
        return await reconcile.reconcile(
            runtime.factory, temporal, actor=body.actor_id, case_id=case_id
        )

    return r
