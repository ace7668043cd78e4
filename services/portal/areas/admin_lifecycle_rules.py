"""Lifecycle deadlines and cadences as data (administrators): edit, preview over recent cases,
save a version.

Page /admin/rules/lifecycle, the same in the JSON API under /api/v1/admin/rules/lifecycle. The
disputes service validates, stores the versions (who, when, why) and computes the preview; a
saved version is given to the cases reported from then on, running cases keep theirs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import RedirectResponse, Response

from services.portal.admin_lib import lifecycle as lf
from services.portal.admin_lib.backend import Problems, call
from services.portal.areas.admin_rules import UNAVAILABLE, Admin, Invalid, Problem
from services.portal.deps import (
    Clients,
    RuntimeDep,
    ServiceClients,
    User,
    audit,
    render,
    verify_csrf,
)
from services.portal.web import client_ip
from shared.contracts.disputes import (
    LifecyclePolicyIn,
    LifecyclePolicyRead,
    LifecyclePreviewIn,
    LifecyclePreviewRead,
)
from shared.db import transaction

PATH = "/admin/rules/lifecycle"
API = "/api/v1" + PATH
pages = APIRouter()
api = APIRouter(
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {"model": Problem, "description": "not an administrator"},
        503: {"model": Problem, "description": "the disputes service is not available"},
    },
)
CROSS_FIELD = """Refused with 422 naming the field, beyond the schema: each per-colour deadline
gives red, yellow and green; every duration is more than 0 (minutes to accept: whole minutes,
at most 7 days; a visit at most every 90 days; grace and approval at most 720 hours; a
partner's reply at most 2160 hours; the return visit at most 365 days after closure, 90 days'
grace); and red is never given longer than yellow, nor yellow longer than green."""


async def _get(clients: ServiceClients, user: User, path: str) -> Any:
    return await call(clients.disputes, UNAVAILABLE, "GET", path, user)


async def _current(clients: ServiceClients, user: User) -> LifecyclePolicyRead:
    return LifecyclePolicyRead.model_validate(await _get(clients, user, PATH))


async def _preview(
    clients: ServiceClients, user: User, values: dict[str, Any], days: int
) -> LifecyclePreviewRead:
    found = await call(
        clients.disputes,
        UNAVAILABLE,
        "POST",
        f"{PATH}/preview",
        user,
        json={"values": values},
        params={"days": days},
    )
    return LifecyclePreviewRead.model_validate(found)


async def _save(
    request: Request, rt: RuntimeDep, clients: ServiceClients, user: User, body: dict[str, Any]
) -> LifecyclePolicyRead:
    saved = LifecyclePolicyRead.model_validate(
        await call(
            clients.disputes,
            UNAVAILABLE,
            "POST",
            PATH,
            user,
            json={**body, "author_id": user.user_id},
        )
    )
    async with transaction(rt.factory) as session:
        await audit(
            session,
            action="admin.rules.lifecycle.saved",
            actor_id=user.user_id,
            subject=f"lifecycle deadlines v{saved.version}",
            ip=client_ip(request),
            detail={"version": saved.version, "reason": saved.reason},
        )
    return saved


def _page(
    request: Request, form: lf.LifecycleForm, extra: dict[str, Any], code: int = 200
) -> Response:
    context = {
        "form": form,
        "colours": lf.COLOURS,
        "per_colour": lf.PER_COLOUR,
        "single": lf.SINGLE,
        "preview": None,
        "current": None,
        "versions": [],
        "saved": None,
        **extra,
    }
    return render(request, "admin/rules_lifecycle.html", context, status_code=code)


@pages.get(PATH)
async def lifecycle_page(
    request: Request,
    user: Admin,
    clients: Clients,
    version: Annotated[int | None, Query(ge=0)] = None,
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    current = await _current(clients, user)
    versions = [
        LifecyclePolicyRead.model_validate(v) for v in await _get(clients, user, f"{PATH}/versions")
    ]
    start = next((v for v in versions if v.version == version), current)
    form = lf.LifecycleForm.of(start.values.model_dump())
    return _page(request, form, {"current": current, "versions": versions, "saved": saved})


@pages.post(PATH, dependencies=[Depends(verify_csrf)])
async def lifecycle_post(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep
) -> Response:
    raw = await request.form()
    form = lf.LifecycleForm.parse(raw)
    current = await _current(clients, user)
    try:
        if raw.get("action") == "save":
            body = {"values": form.values(), "reason": form.reason}
            saved = await _save(request, rt, clients, user, body)
            return RedirectResponse(f"{PATH}?saved={saved.version}", status_code=303)
        preview = await _preview(clients, user, form.values(), form.days)
    except Problems as exc:
        form.show(exc.problems)
        return _page(request, form, {"current": current}, code=422)
    return _page(request, form, {"current": current, "preview": preview})


@api.get(API, response_model=LifecyclePolicyRead)
async def lifecycle_api(user: Admin, clients: Clients) -> Any:
    """The deadlines and cadences in force (the version new cases start with)."""
    return await _get(clients, user, PATH)


@api.get(f"{API}/versions", response_model=list[LifecyclePolicyRead])
async def versions_api(user: Admin, clients: Clients) -> Any:
    """Every version, newest first, with who saved it, when and why (0: lifecycle.yaml)."""
    return await _get(clients, user, f"{PATH}/versions")


@api.get(
    f"{API}/versions/{{number}}",
    response_model=LifecyclePolicyRead,
    responses={404: {"model": Problem, "description": "no such version"}},
)
async def version_api(user: Admin, clients: Clients, number: int) -> Any:
    return await _get(clients, user, f"{PATH}/versions/{number}")


@api.post(
    f"{API}/preview",
    response_model=LifecyclePreviewRead,
    responses={422: {"model": Invalid, "description": "each problem with its field and reason"}},
    description="""How many follow-up visits of the cases reported in the last `days` days
would have been due, and overdue, with these deadlines, against the deadlines in force (each
case's timeline as it went). Nothing is stored.\n\n"""
    + CROSS_FIELD,
)
async def preview_api(user: Admin, clients: Clients, body: LifecyclePreviewIn) -> Any:
    try:
        return await _preview(clients, user, body.values.model_dump(), body.days)
    except Problems as exc:
        return exc.response()


@api.post(
    API,
    response_model=LifecyclePolicyRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"model": Problem, "description": "another version was saved at the same time"},
        422: {"model": Invalid, "description": "each problem with its field and reason"},
    },
    description="""Save a new version: the cases reported from now on start with it; running
cases keep the deadlines they started with until a roll-out moves them.\n\n"""
    + CROSS_FIELD,
)
async def save_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: LifecyclePolicyIn
) -> Any:
    try:
        return await _save(
            request, rt, clients, user, {"values": body.values.model_dump(), "reason": body.reason}
        )
    except Problems as exc:
        return exc.response()
