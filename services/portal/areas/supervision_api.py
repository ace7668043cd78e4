"""Supervision JSON API (`/api/v1/supervision/...`): the stuck board's repairs for the
station chief and the administrator: reconcile, terminate, pause / resume, reset. Terminate and
reset need `confirm: true`; each is audited (the portal's log and the disputes service's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from services.portal.areas import _disputes_backend as backend
from services.portal.areas import _disputes_repair as repair
from services.portal.areas import _visits_board as visits
from services.portal.areas.disputes_supervision import CONFIRMED, Supervisor, _in_scope
from services.portal.deps import Clients, FieldError, User

api = APIRouter(prefix="/api/v1")


class RepairBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    confirm: bool = Field(
        default=False, description="must be true for terminate and reset: the supervisor confirms"
    )


@api.post("/supervision/reconcile")
async def reconcile_api(request: Request, clients: Clients, user: User = Supervisor) -> Any:
    """Case rows (the answer's `repaired`) and door-to-door visit rows (`home_visits`)
    compared with their workflows; drift repaired."""
    result = await repair.reconcile(clients, user)
    repaired = [r.case_id for r in result.repaired]
    home_visits = await visits.reconcile(clients, user)
    repaired += [str(r.get("visit_id")) for r in home_visits.get("repaired", [])]
    await backend.record(request, user, "dispute.reconcile", "api", {"repaired": repaired})
    return {**result.model_dump(mode="json"), "home_visits": home_visits}


@api.post("/supervision/cases/{case_id}/terminate")
async def terminate_api(
    request: Request, case_id: str, body: RepairBody, clients: Clients, user: User = Supervisor
) -> dict[str, str]:
    if not body.confirm:
        raise FieldError("confirm", "must be true to terminate the case's workflow")
    await _in_scope(clients, user, case_id)
    try:
        await repair.terminate(clients, user, case_id, body.reason)
    except backend.ActionRefused as exc:
        raise HTTPException(status_code=409, detail=exc.reason) from None
    await backend.record(request, user, "dispute.terminate", case_id, {"reason": body.reason})
    return {"case_id": case_id, "status": "terminated"}


@api.post("/supervision/cases/{case_id}/repair/{name}")
async def repair_api(
    request: Request,
    case_id: str,
    name: str,
    body: RepairBody,
    clients: Clients,
    user: User = Supervisor,
) -> dict[str, Any]:
    """pause | resume | reset (reset confirmed like terminate)."""
    if name not in repair.REPAIRS:
        raise HTTPException(status_code=404, detail=f"no repair {name!r}")
    if name in CONFIRMED and not body.confirm:
        raise FieldError("confirm", "must be true to reset the case's workflow")
    await _in_scope(clients, user, case_id)
    try:
        done = await repair.repair_case(clients, user, name, case_id, body.reason)
    except backend.ActionRefused as exc:
        raise HTTPException(status_code=409, detail=exc.reason) from None
    await backend.record(request, user, f"dispute.{name}", case_id, {"reason": body.reason})
    return done.model_dump(mode="json")
