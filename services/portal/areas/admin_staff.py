"""Staff accounts (administrators; station chiefs for the officers of their own station):
create with a one-time password sent by SMS, deactivate (their open cases go to the bulk
reassignment), reactivate, reset the password, change role or posting. Pages under
/admin/staff, the JSON API under /api/v1/admin/staff; rules in admin_lib/staff.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
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
from shared.contracts.directory import DirectoryVillageRead, OrgPartnerRead
from shared.db import transaction
from shared.pii import mask_phone


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


pages = APIRouter()
api = APIRouter(
    prefix="/api/v1",
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {
            "model": Problem,
            "description": "not an administrator, or not your station's officer",
        },
        503: {"model": Problem, "description": "the disputes service's directory is not available"},
    },
)
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]
CSRF = [Depends(verify_csrf)]
ONE: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such staff account"}
}
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": Invalid, "description": "each problem with its field and reason"}
}


async def _row(session: AsyncSession, user: User, user_id: str) -> UserRow:
    try:
        return await st.get_in_scope(session, user, user_id)
    except LookupError:
        raise HTTPException(404, detail="no such staff account") from None
    except st.OutOfScope:
        raise HTTPException(
            403, detail="you manage the officers of your own station only"
        ) from None


def _problems(exc: st.StaffInvalid) -> Response:
    detail = [{"field": k, "reason": v, "type": "value_error"} for k, v in exc.errors.items()]
    return JSONResponse({"detail": detail}, status_code=422)


def _form_ctx(
    user: User, villages: list[DirectoryVillageRead], partners: list[OrgPartnerRead]
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


async def _directory(
    clients: Clients, user: User
) -> tuple[list[DirectoryVillageRead], list[OrgPartnerRead]]:
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
    ctx = _form_ctx(user, *await _directory(clients, user))
    return render(request, "admin/staff_new.html", {**ctx, "data": st.StaffIn(), "errors": {}})


@pages.post("/admin/staff/new", dependencies=CSRF)
async def staff_create(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep
) -> Response:
    form = await request.form()
    data = st.StaffIn(**{k: str(form.get(k, ""))[:64] for k in asdict(st.StaffIn())})
    villages, partners = await _directory(clients, user)
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
    ctx = {
        "row": row,
        "pending": pending,
        "cases": cases,
        "colleagues": colleagues,
        "last_officer": row.role == "officer" and bool(row.station_code) and not colleagues,
        "bulk": has_route(request, "/supervision/stuck"),
        "done": request.query_params.get("done"),
        "errors": {},
        "failed": None,
        **_form_ctx(user, *await _directory(clients, user)),
        **extra,
    }
    return render(
        request, "admin/staff_detail.html", ctx, status_code=422 if ctx["errors"] else 200
    )


@pages.get("/admin/staff/{user_id}")
async def staff_detail(
    request: Request, user: Manager, clients: Clients, session: SessionDep, user_id: str
) -> Response:
    row = await _row(session, user, user_id)
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
            row = await _row(session, user, user_id)
            if action in ("deactivate", "reactivate"):
                await st.set_active(
                    session, row, action == "reactivate", actor=user, reason=reason, ip=ip
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
                    directory=sw.directory_of(*await _directory(clients, user)),
                    reason=reason,
                    ip=ip,
                )
    except st.StaffInvalid as exc:
        async with rt.factory() as session:
            row = await _row(session, user, user_id)
            pending = await st.pending_since(session, row.user_id) is not None
        return await _detail(request, user, clients, row, pending, errors=exc.errors, failed=action)
    rt.wake_relay()
    return RedirectResponse(f"/admin/staff/{user_id}?done={action}", status_code=303)


# ---- JSON API ------------------------------------------------------------------------------


@api.get("/admin/staff", response_model=list[sw.StaffRead])
async def staff_list_api(
    user: Manager, session: SessionDep, role: Annotated[sw.StaffRole | None, Query()] = None
) -> Any:
    """Staff accounts you manage (a station chief: the officers of their station)."""
    rows = await st.list_staff(session, user, role=role)
    return [sw.staff_read(r, await st.pending_since(session, r.user_id) is not None) for r in rows]


@api.post(
    "/admin/staff",
    response_model=sw.StaffRead,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def staff_create_api(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep, body: sw.StaffCreate
) -> Any:
    """Create a staff account; its one-time password goes to `phone` by SMS and must be
    replaced on /first-login before the account can log in. A partner organisation's member
    names its `partner_code`."""
    try:
        async with transaction(rt.factory) as session:
            row = await st.create(
                session,
                st.StaffIn(**body.model_dump()),
                actor=user,
                directory=sw.directory_of(*await _directory(clients, user)),
                ip=client_ip(request),
            )
    except st.StaffInvalid as exc:
        return _problems(exc)
    rt.wake_relay()
    return sw.staff_read(row, True)


@api.get("/admin/staff/{user_id}", response_model=sw.StaffRead, responses=ONE)
async def staff_read_api(user: Manager, session: SessionDep, user_id: str) -> Any:
    row = await _row(session, user, user_id)
    return sw.staff_read(row, await st.pending_since(session, row.user_id) is not None)


@api.get("/admin/staff/{user_id}/open-cases", response_model=sw.OpenCases, responses=ONE)
async def staff_cases_api(
    user: Manager, session: SessionDep, clients: Clients, user_id: str
) -> Any:
    """The officer's open cases: after a deactivation, move them with the bulk reassignment."""
    row = await _row(session, user, user_id)
    cases = await sw.open_cases(clients, user, row)
    return sw.OpenCases(user_id=row.user_id, case_ids=[c.case_id for c in cases])


async def _act(
    request: Request,
    user: User,
    rt: RuntimeDep,
    user_id: str,
    action: str,
    reason: str,
    change: tuple[st.StaffIn, st.Directory] | None = None,
) -> Any:
    ip = client_ip(request)
    try:
        async with transaction(rt.factory) as session:
            row = await _row(session, user, user_id)
            if action == "reset-password":
                expires = await st.reset_password(session, row, actor=user, reason=reason, ip=ip)
                sent_to = mask_phone(row.phone) or None
                out: Any = sw.PasswordIssued(
                    user_id=row.user_id, sent_to=sent_to, expires_at=expires
                )
            else:
                if change is not None:
                    data, directory = change
                    await st.change_role(
                        session, row, data, actor=user, directory=directory, reason=reason, ip=ip
                    )
                else:
                    active = action == "reactivate"
                    await st.set_active(session, row, active, actor=user, reason=reason, ip=ip)
                pending = await st.pending_since(session, row.user_id) is not None
                out = sw.staff_read(row, pending)
    except st.StaffInvalid as exc:
        return _problems(exc)
    rt.wake_relay()
    return out


ACTED: dict[int | str, dict[str, Any]] = {**ONE, **REFUSED}


@api.post("/admin/staff/{user_id}/deactivate", response_model=sw.StaffRead, responses=ACTED)
async def deactivate_api(
    request: Request,
    user: Manager,
    clients: Clients,
    rt: RuntimeDep,
    user_id: str,
    body: sw.StaffReason,
) -> Any:
    """The account can no longer log in (its sessions and tokens end); nothing is deleted.
    Its open cases: GET .../open-cases, then the bulk reassignment. `warning` says when the
    station is left without an active officer (its new cases go to the chief and the county
    duty desk)."""
    out = await _act(request, user, rt, user_id, "deactivate", body.reason)
    if isinstance(out, sw.StaffRead) and out.role == "officer" and out.station_code:
        async with rt.factory() as session:
            row = await _row(session, user, user_id)
        if await sw.last_officer(clients, user, row):
            out.warning = sw.LAST_OFFICER.format(station=out.station_code)
    return out


@api.post("/admin/staff/{user_id}/reactivate", response_model=sw.StaffRead, responses=ACTED)
async def reactivate_api(
    request: Request, user: Manager, rt: RuntimeDep, user_id: str, body: sw.StaffReason
) -> Any:
    return await _act(request, user, rt, user_id, "reactivate", body.reason)


@api.post(
    "/admin/staff/{user_id}/reset-password", response_model=sw.PasswordIssued, responses=ACTED
)
async def reset_api(
    request: Request, user: Manager, rt: RuntimeDep, user_id: str, body: sw.StaffReason
) -> Any:
    """The old password stops working; a new one-time password goes to the phone by SMS."""
    return await _act(request, user, rt, user_id, "reset-password", body.reason)


@api.put("/admin/staff/{user_id}/role", response_model=sw.StaffRead, responses=ACTED)
async def role_api(
    request: Request,
    user: Manager,
    clients: Clients,
    rt: RuntimeDep,
    user_id: str,
    body: sw.StaffRoleUpdate,
) -> Any:
    """Change the role (administrators only) or the posting (station, police room, village)."""
    directory = sw.directory_of(*await _directory(clients, user))
    data = st.StaffIn(**body.model_dump(exclude={"reason"}))
    return await _act(request, user, rt, user_id, "role", body.reason, (data, directory))


__all__ = ["api", "pages"]
