"""The partner organisations' outbound channels (/admin/org/partners): where each linkage
request is POSTed. Administrators set any organisation's; a station chief those of their own
station (a notice stuck on a down channel is theirs to repair: fix the channel here, then
"Retry now" on the stuck board). The disputes service owns the directory and logs the change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.portal.admin_lib import org
from services.portal.admin_lib.backend import Problem, Problems, call
from services.portal.deps import Clients, RuntimeDep, User, render, require_roles, verify_csrf
from services.portal.service import audit
from services.portal.web import client_ip
from shared.contracts import directory as d
from shared.db import transaction

pages = APIRouter()
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]


def _station_for(user: User, station: str) -> str:
    return station if user.role == "admin" else user.station_code or ""


async def _page(
    request: Request,
    clients: Clients,
    user: User,
    station: str,
    *,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> Response:
    stations = await org.read(clients, user, d.OrgStationRead, "stations")
    station = _station_for(user, station) or (stations[0].code if stations else "")
    ctx = {
        "stations": stations if user.role == "admin" else [],
        "station": station,
        "partners": await org.read(clients, user, d.OrgPartnerRead, "partners", station=station),
        "failed": failed,
        "errors": errors or {},
        "data": data or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/org_partners.html", ctx, status_code=422 if errors else 200)


@pages.get("/admin/org/partners")
async def partners_page(
    request: Request, user: Manager, clients: Clients, station: str = ""
) -> Response:
    return await _page(request, clients, user, station[:16])


@pages.post("/admin/org/partners/{code}/channel", dependencies=[Depends(verify_csrf)])
async def channel_save(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep, code: str
) -> Response:
    form = await request.form()
    station = _station_for(user, str(form.get("station_code", ""))[:16])
    known = {p.code: p for p in await org.read(clients, user, d.OrgPartnerRead, "partners")}
    partner = known.get(code[:32])
    if partner is None:
        raise HTTPException(404, detail="no such partner organisation")
    if user.role != "admin" and partner.station_code != user.station_code:
        raise HTTPException(403, detail="you manage your own station's partners only")
    data = {k: str(form.get(k, "")).strip()[:500] for k in ("notify_url", "reason")}
    try:
        try:
            body = d.OrgPartnerChannelBody.model_validate(data)
        except ValidationError as exc:
            raise Problems(
                [Problem(field=str(e["loc"][-1]), reason=e["msg"]) for e in exc.errors()]
            ) from None
        sent = d.OrgPartnerChannelWrite(**body.model_dump(), actor_id=user.user_id)
        await call(
            clients.disputes,
            org.UNAVAILABLE,
            "PUT",
            f"{org.BASE}/partners/{partner.code}/channel",
            user,
            json=sent.model_dump(mode="json"),
        )
    except Problems as exc:
        errors = {p.field.rsplit(".", 1)[-1]: p.reason for p in exc.problems}
        return await _page(
            request, clients, user, station, failed=partner.code, errors=errors, data=data
        )
    async with transaction(rt.factory) as session:
        await audit(
            session,
            action="admin.org.partner_channel",
            actor_id=user.user_id,
            subject=partner.code,
            ip=client_ip(request),
            detail=body.model_dump(mode="json"),
        )
    return RedirectResponse(
        f"/admin/org/partners?station={partner.station_code}&done={partner.code}", status_code=303
    )
