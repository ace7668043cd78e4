"""Partner organisations of the linkage (administrators): /admin/partners lists them by
station, adds or changes one (kind, name, the villages it serves), deactivates one (refused
with the reason while requests sent to it are open); the JSON API under
/api/v1/admin/partners. The disputes service owns them; every change is audited here too."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from services.portal.admin_lib import org
from services.portal.admin_lib import partners as pt
from services.portal.admin_lib.backend import Problem, Problems
from services.portal.deps import Clients, RuntimeDep, User, render, require_roles, verify_csrf
from services.portal.web import client_ip
from shared.contracts import directory as d
from shared.db import transaction

pages = APIRouter()
api = APIRouter(prefix="/api/v1/admin/partners")
Admin = Annotated[User, Depends(require_roles("admin"))]
CSRF = [Depends(verify_csrf)]
Code = Annotated[str, Path(pattern=d.PARTNER_PATTERN, examples=["JO-SYZ01"])]
REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such partner organisation"},
    409: {"description": "open linkage requests wait for its answers"},
    422: {"description": "each problem with its field and reason"},
}


async def _audited(
    request: Request, user: User, rt: RuntimeDep, action: str, code: str, body: BaseModel
) -> None:
    async with transaction(rt.factory) as session:
        await org.audited(
            session,
            user=user,
            kind=f"partner.{action}",
            code=code,
            body=body,
            ip=client_ip(request),
        )


async def _page(
    request: Request,
    user: User,
    clients: Clients,
    station: str,
    *,
    errors: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
) -> Response:
    stations = await org.read(clients, user, d.OrgStationRead, "stations")
    codes = {s.code for s in stations}
    station = station if station in codes else (stations[0].code if stations else "")
    ctx = {
        "stations": stations,
        "station": station,
        "partners": await pt.listed(clients, user, station or None),
        "villages": await org.read(clients, user, d.OrgVillageRead, "villages", station=station),
        "kinds": pt.KINDS,
        "errors": errors or {},
        "data": data or {"kind": "village_committee", "village_codes": []},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/partners.html", ctx, status_code=422 if errors else 200)


@pages.get("/admin/partners")
async def partners_page(
    request: Request, user: Admin, clients: Clients, station: str = ""
) -> Response:
    return await _page(request, user, clients, station[:16])


@pages.post("/admin/partners", dependencies=CSRF)
async def partner_save(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    form = await request.form()
    data: dict[str, Any] = {
        k: str(form.get(k, "")).strip()[:128]
        for k in ("code", "kind", "name", "station_code", "reason")
    }
    data["code"] = data["code"].upper()
    data["village_codes"] = [str(v)[:16] for v in form.getlist("village_codes")][:60]
    try:
        if not re.fullmatch(d.PARTNER_PATTERN, data["code"]):
            raise Problems([Problem(field="code", reason="capital letters, digits and -, 2 to 32")])
        body = pt.validated(d.OrgPartnerBody, {k: v for k, v in data.items() if k != "code"})
        await pt.put(clients, user, data["code"], body)
    except Problems as exc:
        errors = {p.field: p.reason for p in exc.problems}
        return await _page(request, user, clients, data["station_code"], errors=errors, data=data)
    await _audited(request, user, rt, "saved", data["code"], body)
    return RedirectResponse(
        f"/admin/partners?station={data['station_code']}&done=saved", status_code=303
    )


@pages.post("/admin/partners/{code}/deactivate", dependencies=CSRF)
async def partner_deactivate(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: Code
) -> Response:
    form = await request.form()
    station = str(form.get("at", ""))[:16]
    try:
        body = pt.validated(d.OrgCloseBody, {"reason": str(form.get("reason", ""))})
    except Problems as exc:
        raise HTTPException(422, detail=exc.problems[0].reason) from None
    await pt.deactivate(clients, user, code, body)
    await _audited(request, user, rt, "deactivated", code, body)
    return RedirectResponse(f"/admin/partners?station={station}&done=deactivated", status_code=303)


@api.get("", response_model=list[d.OrgPartnerRead])
async def partners_api(
    user: Admin,
    clients: Clients,
    station: Annotated[str | None, Query(pattern=d.CODE_PATTERN)] = None,
) -> Any:
    """Partner organisations (deactivated ones too), by station."""
    return await pt.listed(clients, user, station)


@api.put("/{code}", response_model=d.OrgPartnerRead, responses=REFUSED)
async def put_partner_api(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgPartnerBody,
) -> Any:
    """Add a partner organisation or change it (a deactivated one is active again): the
    villages it serves must be open villages of its station. Naming a station or village the
    directory does not hold (a rule of stored records, not of the schema) is answered 422
    with the field."""
    try:
        out = await pt.put(clients, user, code, body)
    except Problems as exc:
        return exc.response()
    await _audited(request, user, rt, "saved", code, body)
    return out


@api.post("/{code}/deactivate", response_model=d.OrgPartnerRead, responses=REFUSED)
async def deactivate_partner_api(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgCloseBody,
) -> Any:
    """No new linkage request may name it; refused (409) while requests sent to it are open."""
    out = await pt.deactivate(clients, user, code, body)
    await _audited(request, user, rt, "deactivated", code, body)
    return out


__all__ = ["api", "pages"]
