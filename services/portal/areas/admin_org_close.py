"""Closing a police room or a village (administrators): the page's close buttons on
/admin/org and `POST /api/v1/admin/org/{police-rooms|villages}/{code}/close`. The disputes
service refuses a record still in use with 409 and the reason (officers posted, villages it
serves, households, open cases); a closed one is kept for its cases, audited, and its listing
(no longer active) goes to the other services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.admin_lib import org
from services.portal.admin_lib.backend import Problems
from services.portal.deps import Clients, RuntimeDep, User, require_roles, verify_csrf
from services.portal.web import client_ip
from shared.contracts import directory as d
from shared.db import transaction

pages = APIRouter()
api = APIRouter(prefix="/api/v1/admin/org")
Admin = Annotated[User, Depends(require_roles("admin"))]
Code = Annotated[str, Path(pattern=d.CODE_PATTERN, examples=["RYZ0101"])]
SEGMENTS = {"police-rooms": "police_room", "villages": "village"}
ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such record"},
    409: {"description": "still in use: the reason says what to move first"},
    422: {"description": "the reason is missing"},
}


async def _close(
    request: Request, user: User, clients: Clients, rt: RuntimeDep, kind: str, code: str, why: str
) -> d.OrgClosedRead:
    body = d.OrgCloseBody(reason=why)
    out = await org.close(clients, user, kind, code, body)
    async with transaction(rt.factory) as session:
        await org.audited(
            session, user=user, kind=f"{kind}.closed", code=code, body=body, ip=client_ip(request)
        )
    return out


@api.post("/police-rooms/{code}/close", response_model=d.OrgClosedRead, responses=ANSWERS)
async def close_room_api(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgCloseBody,
) -> Any:
    """Close a police room: refused (409) while officers are posted there or a village is
    still served by it."""
    return await _close(request, user, clients, rt, "police_room", code, body.reason)


@api.post("/villages/{code}/close", response_model=d.OrgClosedRead, responses=ANSWERS)
async def close_village_api(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgCloseBody,
) -> Any:
    """Close a village: refused (409) while it has households or open cases; no new case,
    booking or visit may name it afterwards."""
    return await _close(request, user, clients, rt, "village", code, body.reason)


@pages.post("/admin/org/{segment}/{code}/close", dependencies=[Depends(verify_csrf)])
async def close_page(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, segment: str, code: Code
) -> Response:
    if segment not in SEGMENTS:
        raise HTTPException(404, detail=f"nothing called {segment} here")
    form = await request.form()
    station = str(form.get("at", ""))[:16]
    try:
        await _close(
            request, user, clients, rt, SEGMENTS[segment], code, str(form.get("reason", ""))
        )
    except Problems as exc:
        raise HTTPException(422, detail=exc.problems[0].reason) from None
    except ValueError:
        raise HTTPException(422, detail="say why (2 to 500 characters)") from None
    return RedirectResponse(f"/admin/org?station={station}&done=closed", status_code=303)


__all__ = ["api", "pages"]
