"""Door-to-door visits on the supervisors' stuck board: the board's forms (retry now,
terminate with a reason) and `/api/v1/supervision/home-visits/...`, for the station chief and
the administrator. Terminate is confirmed (the page's box, the API's `confirm: true`); each
repair is audited here and by the appointments service."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from services.portal.areas import _disputes_backend as backend
from services.portal.areas import _visits_board as visits
from services.portal.areas.disputes_supervision import Csrf, Supervisor, _board
from services.portal.deps import Clients, FieldError, User

pages = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["supervision"])


@pages.post("/supervision/home-visits/{visit_id}/{action}", dependencies=[Csrf])
async def visit_action(
    request: Request, visit_id: str, action: str, clients: Clients, user: User = Supervisor
) -> Response:
    if action not in visits.VISIT_REPAIRS:
        raise HTTPException(status_code=404, detail=f"no action {action!r}")
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    if action == "terminate" and (form.get("confirm") != "yes" or not reason):
        errs = [{"field": "confirm", "reason": "tick the box and give a reason to confirm"}]
        return await _board(request, clients, user, status_code=422, failed=visit_id, errors=errs)
    try:
        await visits.repair(clients, user, action, visit_id, reason or "retry now")
    except FieldError as exc:
        errs = [{"field": exc.field, "reason": exc.reason}]
        return await _board(request, clients, user, status_code=422, failed=visit_id, errors=errs)
    except HTTPException as exc:
        if exc.status_code not in (409, 503):
            raise
        errs = [{"field": action, "reason": str(exc.detail)}]
        return await _board(
            request, clients, user, status_code=exc.status_code, failed=visit_id, errors=errs
        )
    await backend.record(request, user, f"home_visit.{action}", visit_id, {"reason": reason})
    return RedirectResponse(f"/supervision/stuck?done=visit-{action}", status_code=303)


@api.get("/supervision/home-visits", response_model=visits.VisitBoard)
async def visit_board(clients: Clients, user: User = Supervisor) -> visits.VisitBoard:
    """Overdue and technically stuck door-to-door visits of the supervisor's station."""
    return await visits.board(clients, user)


class VisitRepairBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    confirm: bool = Field(default=False, description="must be true for terminate")


@api.post("/supervision/home-visits/{visit_id}/{action}")
async def visit_repair(
    request: Request,
    visit_id: str,
    action: str,
    body: VisitRepairBody,
    clients: Clients,
    user: User = Supervisor,
) -> dict[str, object]:
    """retry | terminate (terminate confirmed; the visit's row and the officer's task close)."""
    if action not in visits.VISIT_REPAIRS:
        raise HTTPException(status_code=404, detail=f"no repair {action!r}")
    if action == "terminate" and not body.confirm:
        raise FieldError("confirm", "must be true to terminate the visit's workflow")
    done = await visits.repair(clients, user, action, visit_id, body.reason)
    await backend.record(request, user, f"home_visit.{action}", visit_id, {"reason": body.reason})
    return done
