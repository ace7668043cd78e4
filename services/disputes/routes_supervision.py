"""Internal routes through which the portal drives the service's workflows: a case's live view,
officer and supervisor actions, and the board's repair and reconciliation actions.

Every route answers within its deadline: 404 (no such case), 409 (refused, with the reason),
422 (the field and why), 503 (busy: what the workflow waits on)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from temporalio.client import Client

from services.disputes import board, live
from services.disputes.deps import RuntimeDep, TemporalDep
from shared.config import DisputesSettings
from shared.runtime import ServiceRuntime
from shared.web import internal_guard
from workflows.disputes.types import Actor, CaseView

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
        try:
            return await live.perform(temporal, case_id, req)
        except live.CaseMissing:
            raise HTTPException(404, detail=f"case {case_id} not found") from None
        except live.Refused as exc:
            raise HTTPException(409, detail=exc.reason) from None
        except live.Busy as exc:
            raise _busy(exc) from None

    return r
