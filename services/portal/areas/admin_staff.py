"""Staff accounts (administrators; station chiefs for the officers of their own station):
create with a one-time password sent by SMS, deactivate (their open cases go to the bulk
reassignment), reactivate, reset the password, change role or posting. Pages under
/admin/staff (the JSON API under /api/v1/admin/staff: admin_staff_api.py); rules in
admin_lib/staff.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.admin_lib import staff as st
from services.portal.admin_lib import staff_web as sw
from services.portal.deps import (
    Clients,
    RuntimeDep,
    SessionDep,
    User,
    has_route,
    render,
    require_roles,
    verify_csrf,
)
from services.portal.models import UserRow
from services.portal.web import client_ip
from shared.contracts.directory import OrgPartnerRead
from shared.contracts.disputes_read import VillageRead
from shared.db import transaction

pages = APIRouter()
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]
CSRF = [Depends(verify_csrf)]


async def row_in_scope(session: AsyncSession, user: User, user_id: str) -> UserRow:
    try:
        return await st.get_in_scope(session, user, user_id)
    except LookupError:
        raise HTTPException(404, detail="no such staff account") from None
    except st.OutOfScope:
        raise HTTPException(
            403, detail="you manage the officers of your own station only"
        ) from None


def _form_ctx(
    user: User, villages: list[VillageRead], partners: list[OrgPartnerRead]
) -> dict[str, Any]:
    stations = sorted({(v.station_code, v.township) for v in villages})
    if user.role != "admin":
        stations = [s for s in stations if s[0] == user.station_code]
    rooms = sorted({(v.police_room_code, v.station_code, v.name) for v in villages})
    return {
        "roles": st.allowed_roles(user),
        "stations": stations,
        "rooms": [r for r in rooms if user.role == "admin" or r[1] == user.station_code],
        "villages": villages if user.role == "admin" else [],
        "partners": partners,
    }


async def directory_lists(
    clients: Clients, user: User
) -> tuple[list[VillageRead], list[OrgPartnerRead]]:
    """The villages a posting may name and (for administrators) the partner organisations."""
    villages = await sw.villages(clients, user)
    partners = await sw.partners(clients, user) if user.role == "admin" else []
    return villages, partners


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/admin/staff")
async def staff_list(
    request: Request, user: Manager, session: SessionDep, role: str = ""
) -> Response:
    rows = await st.list_staff(session, user, role=role if role in st.STAFF_ROLES else None)
    pending = {r.user_id for r in rows if await st.pending_since(session, r.user_id)}
    return render(
        request,
        "admin/staff_list.html",
        {
            "rows": rows,
            "pending": pending,
            "role": role,
            "roles": st.allowed_roles(user),
            "created": request.query_params.get("created"),
        },
    )


@pages.get("/admin/staff/new")
async def staff_new(request: Request, user: Manager, clients: Clients) -> Response:
    ctx = _form_ctx(user, *await directory_lists(clients, user))
    return render(request, "admin/staff_new.html", {**ctx, "data": st.StaffIn(), "errors": {}})


@pages.post("/admin/staff/new", dependencies=CSRF)
async def staff_create(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep
) -> Response:
    form = await request.form()
    data = st.StaffIn(**{k: str(form.get(k, ""))[:64] for k in asdict(st.StaffIn())})
    villages, partners = await directory_lists(clients, user)
    try:
        async with transaction(rt.factory) as session:
            row = await st.create(
                session,
                data,
                actor=user,
                directory=sw.directory_of(villages, partners),
                ip=client_ip(request),
            )
    except st.StaffInvalid as exc:
        ctx = {**_form_ctx(user, villages, partners), "data": data, "errors": exc.errors}
        return render(request, "admin/staff_new.html", ctx, status_code=422)
    rt.wake_relay()
    return RedirectResponse(f"/admin/staff/{row.user_id}?done=created", status_code=303)


async def _detail(
    request: Request, user: User, clients: Clients, row: UserRow, pending: bool, **extra: Any
) -> Response:
    cases = await sw.open_cases(clients, user, row)
    colleagues = await sw.colleagues(clients, user, row) if row.role == "officer" else []
    # a member whose organisation is off comes back only with it: no Reactivate of its own
    off = await sw.partner_off(clients, user, row) if not row.active else None
    ctx = {
        "partner_off": off,
        "row": row,
        "pending": pending,
        "cases": cases,
        "colleagues": colleagues,
        "last_officer": row.role == "officer" and bool(row.station_code) and not colleagues,
        "bulk": has_route(request, "/supervision/stuck"),
        "done": request.query_params.get("done"),
        "errors": {},
        "failed": None,
        **_form_ctx(user, *await directory_lists(clients, user)),
        **extra,
    }
    return render(
        request, "admin/staff_detail.html", ctx, status_code=422 if ctx["errors"] else 200
    )


@pages.get("/admin/staff/{user_id}")
async def staff_detail(
    request: Request, user: Manager, clients: Clients, session: SessionDep, user_id: str
) -> Response:
    row = await row_in_scope(session, user, user_id)
    pending = await st.pending_since(session, row.user_id) is not None
    return await _detail(request, user, clients, row, pending)


@pages.post("/admin/staff/{user_id}/{action}", dependencies=CSRF)
async def staff_action(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep, user_id: str, action: str
) -> Response:
    if action not in (*sw.ACTIONS, "role"):
        raise HTTPException(404, detail=f"no action {action}")
    form = await request.form()
    reason = str(form.get("reason", ""))[:500]
    ip = client_ip(request)
    try:
        async with transaction(rt.factory) as session:
            row = await row_in_scope(session, user, user_id)
            if action in ("deactivate", "reactivate"):
                active = action == "reactivate"
                await st.set_active(
                    session,
                    row,
                    active,
                    actor=user,
                    reason=reason,
                    ip=ip,
                    partner_off=await sw.partner_off(clients, user, row) if active else None,
                )
            elif action == "reset-password":
                await st.reset_password(session, row, actor=user, reason=reason, ip=ip)
            else:
                data = st.StaffIn(
                    **{
                        k: str(form.get(k, ""))[:64]
                        for k in (
                            "role",
                            "station_code",
                            "police_room_code",
                            "village_code",
                            "partner_code",
                        )
                    }
                )
                await st.change_role(
                    session,
                    row,
                    data,
                    actor=user,
                    directory=sw.directory_of(*await directory_lists(clients, user)),
                    reason=reason,
                    ip=ip,
                )
    except st.StaffInvalid as exc:
        async with rt.factory() as session:
            row = await row_in_scope(session, user, user_id)
            pending = await st.pending_since(session, row.user_id) is not None
        return await _detail(request, user, clients, row, pending, errors=exc.errors, failed=action)
    rt.wake_relay()
    return RedirectResponse(f"/admin/staff/{user_id}?done={action}", status_code=303)


__all__ = ["Manager", "directory_lists", "pages", "row_in_scope"]
