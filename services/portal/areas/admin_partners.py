"""Partner organisations of the linkage: /admin/partners lists a station's organisations, and
one page per organisation (/admin/partners/{code}) holds all of it: its facts and the villages
it serves, its outbound channel (admin_partner_channels.py), its member accounts, deactivating
it (refused with the reason while requests sent to it are open; its member accounts go with
it) and reactivating it (bringing back only the accounts its deactivation took). Station
chiefs see their own station's organisations and set their channels; the rest is the
administrators'. The JSON API under /api/v1/admin/partners. The disputes service owns the
organisations, the portal their accounts; every change is audited here too."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

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
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]
CSRF = [Depends(verify_csrf)]
Code = Annotated[str, Path(pattern=d.PARTNER_PATTERN, examples=["JO-SYZ01"])]
REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such partner organisation"},
    409: {"description": "open linkage requests wait for its answers"},
    422: {"description": "each problem with its field and reason"},
}


def station_for(user: User, station: str) -> str:
    """A station chief sees their own station's organisations only."""
    return station if user.role == "admin" else user.station_code or ""


async def _members(
    request: Request,
    user: User,
    rt: RuntimeDep,
    out: d.OrgPartnerRead,
    action: str,
    body: d.OrgCloseBody | d.OrgPartnerBody,
) -> pt.PartnerAnswer:
    async with transaction(rt.factory) as session:
        answer = await pt.with_members(
            session, out, user=user, action=action, body=body, ip=client_ip(request)
        )
    rt.wake_relay()  # the accounts' user.upserted events
    return answer


async def _list_page(
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
    station = station_for(user, station)
    station = station if station in codes else (stations[0].code if stations else "")
    admin = user.role == "admin"
    ctx = {
        "stations": stations if admin else [],
        "station": station,
        "partners": await org.read(clients, user, d.OrgPartnerRead, "partners", station=station),
        "villages": await org.read(clients, user, d.OrgVillageRead, "villages", station=station)
        if admin
        else [],
        "kinds": pt.KINDS,
        "editable": admin,
        "errors": errors or {},
        "data": data or {"kind": "village_committee", "village_codes": []},
    }
    return render(request, "admin/partners.html", ctx, status_code=422 if errors else 200)


async def partner_page(
    request: Request,
    user: User,
    clients: Clients,
    rt: RuntimeDep,
    code: str,
    *,
    failed: str = "",
    errors: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
) -> Response:
    """The organisation's page; `failed` names the form whose `errors` are shown."""
    known = {p.code: p for p in await org.read(clients, user, d.OrgPartnerRead, "partners")}
    partner = known.get(code)
    if partner is None:
        raise HTTPException(404, detail="no such partner organisation")
    if user.role != "admin" and partner.station_code != user.station_code:
        raise HTTPException(403, detail="you manage your own station's partners only")
    admin = user.role == "admin"
    async with rt.factory() as session:
        accounts = await pt.members(session, code) if admin else []
    villages = (
        await org.read(clients, user, d.OrgVillageRead, "villages", station=partner.station_code)
        if admin
        else []
    )
    ctx = {
        "p": partner,
        "kinds": pt.KINDS,
        "villages": villages,
        "accounts": accounts,
        "editable": admin,
        "failed": failed,
        "errors": errors or {},
        "data": data or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/partner.html", ctx, status_code=422 if errors else 200)


@pages.get("/admin/partners")
async def partners_page(
    request: Request, user: Manager, clients: Clients, station: str = ""
) -> Response:
    return await _list_page(request, user, clients, station[:16])


@pages.get("/admin/partners/{code}")
async def partner_detail(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep, code: Code
) -> Response:
    return await partner_page(request, user, clients, rt, code)


@pages.post("/admin/partners", dependencies=CSRF)
async def partner_save(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    form = await request.form()
    data: dict[str, Any] = {
        k: str(form.get(k, "")).strip()[:128]
        for k in ("code", "kind", "name", "station_code", "reason")
    }
    data["code"] = data["code"].upper()
    data["village_codes"] = [str(v)[:16] for v in form.getlist("village_codes")][:60]
    on_page = str(form.get("on_page", "")) == "1"  # sent from the organisation's own page
    try:
        if not re.fullmatch(d.PARTNER_PATTERN, data["code"]):
            raise Problems([Problem(field="code", reason="capital letters, digits and -, 2 to 32")])
        body = pt.validated(d.OrgPartnerBody, {k: v for k, v in data.items() if k != "code"})
        out = await pt.put(clients, user, data["code"], body)
    except Problems as exc:
        errors = {p.field: p.reason for p in exc.problems}
        if on_page:
            return await partner_page(
                request, user, clients, rt, data["code"], failed="facts", errors=errors, data=data
            )
        return await _list_page(
            request, user, clients, data["station_code"], errors=errors, data=data
        )
    await _members(request, user, rt, out, "saved", body)
    return RedirectResponse(f"/admin/partners/{out.code}?done=saved", status_code=303)


@pages.post("/admin/partners/{code}/deactivate", dependencies=CSRF)
async def partner_deactivate(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: Code
) -> Response:
    form = await request.form()
    try:
        body = pt.validated(d.OrgCloseBody, {"reason": str(form.get("reason", ""))})
    except Problems as exc:
        errors = {p.field: p.reason for p in exc.problems}
        return await partner_page(request, user, clients, rt, code, failed="active", errors=errors)
    out = await pt.deactivate(clients, user, code, body)
    await _members(request, user, rt, out, "deactivated", body)
    return RedirectResponse(f"/admin/partners/{code}?done=deactivated", status_code=303)


@pages.post("/admin/partners/{code}/reactivate", dependencies=CSRF)
async def partner_reactivate(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, code: Code
) -> Response:
    """Active again with the facts it had, and the member accounts its deactivation took."""
    form = await request.form()
    known = {p.code: p for p in await pt.listed(clients, user, None)}
    partner = known.get(code)
    if partner is None:
        raise HTTPException(404, detail="no such partner organisation")
    facts = partner.model_dump(include={"kind", "name", "station_code", "village_codes"})
    try:
        body = pt.validated(d.OrgPartnerBody, {**facts, "reason": str(form.get("reason", ""))})
        out = await pt.put(clients, user, code, body)
    except Problems as exc:
        errors = {p.field: p.reason for p in exc.problems}
        return await partner_page(request, user, clients, rt, code, failed="active", errors=errors)
    await _members(request, user, rt, out, "reactivated", body)
    return RedirectResponse(f"/admin/partners/{code}?done=reactivated", status_code=303)


@api.get("", response_model=list[d.OrgPartnerRead])
async def partners_api(
    user: Admin,
    clients: Clients,
    station: Annotated[str | None, Query(pattern=d.CODE_PATTERN)] = None,
) -> Any:
    """Partner organisations (deactivated ones too), by station."""
    return await pt.listed(clients, user, station)


@api.put("/{code}", response_model=pt.PartnerAnswer, responses=REFUSED)
async def put_partner_api(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgPartnerBody,
) -> Any:
    """Add a partner organisation or change it (a deactivated one is active again, and so are
    the member accounts its deactivation took, not one deactivated on its own): the villages it
    serves must be open villages of its station. Naming a station or village the directory does
    not hold (a rule of stored records, not of the schema) is answered 422 with the field."""
    try:
        out = await pt.put(clients, user, code, body)
    except Problems as exc:
        return exc.response()
    return await _members(request, user, rt, out, "saved", body)


@api.post("/{code}/deactivate", response_model=pt.PartnerAnswer, responses=REFUSED)
async def deactivate_partner_api(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgCloseBody,
) -> Any:
    """No new linkage request may name it, and its member accounts are deactivated with it
    (their sessions end); refused (409) while requests sent to it are open."""
    out = await pt.deactivate(clients, user, code, body)
    return await _members(request, user, rt, out, "deactivated", body)


__all__ = ["api", "pages"]
