"""The staff accounts' JSON API (/api/v1/admin/staff): administrators for every staff account,
station chiefs for the officers of their own station; the pages are admin_staff.py, the rules
admin_lib/staff.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from services.portal.admin_lib import staff as st
from services.portal.admin_lib import staff_web as sw
from services.portal.areas.admin_staff import Manager, directory_lists, row_in_scope
from services.portal.deps import Clients, RuntimeDep, SessionDep, User
from services.portal.web import client_ip
from shared.db import transaction
from shared.pii import mask_phone


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


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
ONE: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such staff account"}
}
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": Invalid, "description": "each problem with its field and reason"}
}


def _problems(exc: st.StaffInvalid) -> Response:
    detail = [{"field": k, "reason": v, "type": "value_error"} for k, v in exc.errors.items()]
    return JSONResponse({"detail": detail}, status_code=422)


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
                directory=sw.directory_of(*await directory_lists(clients, user)),
                ip=client_ip(request),
            )
    except st.StaffInvalid as exc:
        return _problems(exc)
    rt.wake_relay()
    return sw.staff_read(row, True)


@api.get("/admin/staff/{user_id}", response_model=sw.StaffRead, responses=ONE)
async def staff_read_api(user: Manager, session: SessionDep, user_id: str) -> Any:
    row = await row_in_scope(session, user, user_id)
    return sw.staff_read(row, await st.pending_since(session, row.user_id) is not None)


@api.get("/admin/staff/{user_id}/open-cases", response_model=sw.OpenCases, responses=ONE)
async def staff_cases_api(
    user: Manager, session: SessionDep, clients: Clients, user_id: str
) -> Any:
    """The officer's open cases: after a deactivation, move them with the bulk reassignment."""
    row = await row_in_scope(session, user, user_id)
    cases = await sw.open_cases(clients, user, row)
    return sw.OpenCases(user_id=row.user_id, case_ids=[c.case_id for c in cases])


async def _act(
    request: Request,
    user: User,
    clients: Clients,
    rt: RuntimeDep,
    user_id: str,
    action: str,
    reason: str,
    change: tuple[st.StaffIn, st.Directory] | None = None,
) -> Any:
    ip = client_ip(request)
    try:
        async with transaction(rt.factory) as session:
            row = await row_in_scope(session, user, user_id)
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
                    off = await sw.partner_off(clients, user, row) if active else None
                    await st.set_active(
                        session, row, active, actor=user, reason=reason, ip=ip, partner_off=off
                    )
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
    duty desk). Your own account is refused (422, `reason`)."""
    out = await _act(request, user, clients, rt, user_id, "deactivate", body.reason)
    if isinstance(out, sw.StaffRead) and out.role == "officer" and out.station_code:
        async with rt.factory() as session:
            row = await row_in_scope(session, user, user_id)
        if await sw.last_officer(clients, user, row):
            out.warning = sw.LAST_OFFICER.format(station=out.station_code)
    return out


@api.post("/admin/staff/{user_id}/reactivate", response_model=sw.StaffRead, responses=ACTED)
async def reactivate_api(
    request: Request,
    user: Manager,
    clients: Clients,
    rt: RuntimeDep,
    user_id: str,
    body: sw.StaffReason,
) -> Any:
    """The account may log in again. Your own account is refused (422, `reason`), and so is
    a member of a deactivated partner organisation (422, `partner_code`): reactivate the
    organisation, which brings back the accounts its deactivation took."""
    return await _act(request, user, clients, rt, user_id, "reactivate", body.reason)


@api.post(
    "/admin/staff/{user_id}/reset-password", response_model=sw.PasswordIssued, responses=ACTED
)
async def reset_api(
    request: Request,
    user: Manager,
    clients: Clients,
    rt: RuntimeDep,
    user_id: str,
    body: sw.StaffReason,
) -> Any:
    """The old password stops working; a new one-time password goes to the phone by SMS.
    Your own account is refused (422, `user_id`): change your password on your profile page."""
    return await _act(request, user, clients, rt, user_id, "reset-password", body.reason)


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
    directory = sw.directory_of(*await directory_lists(clients, user))
    data = st.StaffIn(**body.model_dump(exclude={"reason"}))
    return await _act(request, user, clients, rt, user_id, "role", body.reason, (data, directory))


__all__ = ["api"]
