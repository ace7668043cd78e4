"""A partner organisation's outbound channel, set on its page (/admin/partners/{code}, see
admin_partners.py): where each linkage request is POSTed. Administrators set any
organisation's; a station chief those of their own station (a notice stuck on a down channel
is theirs to repair: fix the channel there, then "Retry now" on the stuck board). The disputes
service owns the directory and logs the change. The channels' former page,
/admin/org/partners, now leads to the organisations' list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.portal.admin_lib import org
from services.portal.admin_lib.backend import Problem, Problems, call
from services.portal.areas.admin_partners import partner_page
from services.portal.deps import Clients, RuntimeDep, User, require_roles, verify_csrf
from services.portal.service import audit
from services.portal.web import client_ip
from shared.contracts import directory as d
from shared.db import transaction

pages = APIRouter()
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]


@pages.get("/admin/org/partners")
async def former_page(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse("/admin/partners" + (f"?{query}" if query else ""), status_code=301)


@pages.post("/admin/org/partners/{code}/channel")
async def former_channel(code: str) -> Response:
    """A form of the former page still open in a browser: sent on, body and method kept."""
    return RedirectResponse(f"/admin/partners/{code[:32]}/channel", status_code=308)


@pages.post("/admin/partners/{code}/channel", dependencies=[Depends(verify_csrf)])
async def channel_save(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep, code: str
) -> Response:
    form = await request.form()
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
            answer=d.OrgPartnerRead,
            json=sent.model_dump(mode="json"),
        )
    except Problems as exc:
        errors = {p.field.rsplit(".", 1)[-1]: p.reason for p in exc.problems}
        return await partner_page(
            request, user, clients, rt, partner.code, failed="channel", errors=errors, data=data
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
    return RedirectResponse(f"/admin/partners/{partner.code}?done=channel", status_code=303)
