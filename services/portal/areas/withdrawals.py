"""Residents withdraw an open online application or door-to-door request (page and JSON API).

The appointments service decides (the workflow refuses a visit under way); the resident id
always comes from the session or the token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from services.portal.areas import _appointments_backend as ab
from services.portal.deps import Clients, ServiceClients, User, require_roles, verify_csrf
from shared.contracts.appointments import ApplicationRead, HomeVisitRead

pages = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["appointments"])
ORDER = 31
Resident = Annotated[User, Depends(require_roles("resident", "group_leader"))]
REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not a resident, or the request is someone else's"},
    404: {"description": "no such application or visit"},
    409: {"description": "already decided, closed, or the visit is under way (reason given)"},
    422: {"description": "reason too long"},
}


class WithdrawRequest(BaseModel):
    reason: str = Field(default="", max_length=500, description="why, for the officer")


async def _withdraw(
    clients: ServiceClients, user: User, kind: str, ref: str, reason: str
) -> dict[str, Any]:
    body = {"resident_id": user.user_id, "reason": reason}
    path = f"/{kind}/{ref}/withdraw"
    withdrawn: BaseModel
    if kind == "applications":
        withdrawn = await ab.call(clients, "POST", path, user, ApplicationRead, json=body)
    else:
        withdrawn = await ab.call(clients, "POST", path, user, HomeVisitRead, json=body)
    return withdrawn.model_dump(mode="json")


@pages.post("/appointments/applications/{app_id}/withdraw", dependencies=[Depends(verify_csrf)])
async def withdraw_application_page(
    user: Resident, clients: Clients, app_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    await _withdraw(clients, user, "applications", app_id, reason)
    return RedirectResponse("/appointments/mine?withdrawn=application", status_code=303)


@pages.post("/appointments/home-visits/{visit_id}/withdraw", dependencies=[Depends(verify_csrf)])
async def withdraw_visit_page(
    user: Resident, clients: Clients, visit_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    await _withdraw(clients, user, "home-visits", visit_id, reason)
    return RedirectResponse("/appointments/mine?withdrawn=home_visit", status_code=303)


@api.post(
    "/applications/{app_id}/withdraw",
    summary="Withdraw my online application (until an officer decides it)",
    responses=REFUSALS,
)
async def withdraw_application(
    user: Resident, clients: Clients, app_id: str, body: WithdrawRequest | None = None
) -> dict[str, Any]:
    return await _withdraw(clients, user, "applications", app_id, body.reason if body else "")


@api.post(
    "/home-visits/{visit_id}/withdraw",
    summary="Withdraw my door-to-door request (until an hour before the visit)",
    description="Cancels the visit's workflow, removes the officer's task and tells both. "
    "Refused with 409 and the reason once the visit is done, cancelled or under way "
    "(from one hour before the agreed time).",
    responses=REFUSALS,
)
async def withdraw_visit(
    user: Resident, clients: Clients, visit_id: str, body: WithdrawRequest | None = None
) -> dict[str, Any]:
    return await _withdraw(clients, user, "home-visits", visit_id, body.reason if body else "")
