"""Lifecycle deadlines and cadences as data (administrators): edit, preview over recent cases,
save a version.

Page /admin/rules/lifecycle, the same in the JSON API under /api/v1/admin/rules/lifecycle. The
disputes service validates, stores the versions (who, when, why) and computes the preview of
every effect on recent cases; a saved version is given to the cases reported from then on,
running cases keep theirs. The flow is the rules pages' own (admin_lib/rules_pages.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from services.portal.admin_lib import lifecycle as lf
from services.portal.admin_lib.rules_pages import (
    CONFLICT,
    INVALID,
    NO_VERSION,
    Admin,
    RulesPages,
    api_router,
)
from services.portal.deps import Clients, RuntimeDep, verify_csrf
from shared.contracts.disputes import (
    LifecyclePolicyIn,
    LifecyclePolicyRead,
    LifecyclePreviewIn,
    LifecyclePreviewRead,
)

UNAVAILABLE = "the disputes service is not available"
PATH = "/admin/rules/lifecycle"
API = "/api/v1" + PATH
RULES = RulesPages(
    service="disputes",
    unavailable=UNAVAILABLE,
    path=PATH,
    version_model=LifecyclePolicyRead,
    preview_model=LifecyclePreviewRead,
    audit_action="admin.rules.lifecycle.saved",
    audit_subject="lifecycle deadlines v{n}",
    template="admin/rules_lifecycle.html",
)
LABELS = {
    "colours": lf.COLOURS,
    "per_colour": lf.PER_COLOUR,
    "single": lf.SINGLE,
    "effects": lf.EFFECTS,
}
CROSS_FIELD = """Refused with 422 naming the field, beyond the schema: each per-colour deadline
gives red, yellow and green; every duration is more than 0 (minutes to accept: whole minutes,
at most 7 days; a visit at most every 90 days; grace and approval at most 720 hours; a
partner's reply at most 2160 hours; the return visit at most 365 days after closure, 90 days'
grace); and red is never given longer than yellow, nor yellow longer than green."""

pages = APIRouter()
api = api_router(UNAVAILABLE)


@pages.get(PATH)
async def lifecycle_page(
    request: Request,
    user: Admin,
    clients: Clients,
    version: Annotated[int | None, Query(ge=0)] = None,
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    current, versions, start = await RULES.start(clients, user, version)
    form = lf.LifecycleForm.of(start.values.model_dump())
    context = {**LABELS, "current": current, "versions": versions, "saved": saved}
    return RULES.page(request, form, context)


@pages.post(PATH, dependencies=[Depends(verify_csrf)])
async def lifecycle_post(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep
) -> Response:
    form = lf.LifecycleForm.parse(await request.form())
    return await RULES.posted(request, clients, rt, user, form, LABELS)


@api.get(API, response_model=LifecyclePolicyRead)
async def lifecycle_api(user: Admin, clients: Clients) -> Any:
    """The deadlines and cadences in force (the version new cases start with)."""
    return await RULES.in_force(clients, user)


@api.get(f"{API}/versions", response_model=list[LifecyclePolicyRead])
async def versions_api(user: Admin, clients: Clients) -> Any:
    """Every version, newest first, with who saved it, when and why (0: lifecycle.yaml)."""
    return await RULES.versions(clients, user)


@api.get(f"{API}/versions/{{number}}", response_model=LifecyclePolicyRead, responses=NO_VERSION)
async def version_api(user: Admin, clients: Clients, number: int) -> Any:
    return await RULES.version(clients, user, number)


@api.post(
    f"{API}/preview",
    response_model=LifecyclePreviewRead,
    responses=INVALID,
    description="""Every effect these deadlines would have had on the cases reported in the last
`days` days, against the deadlines in force, each case's steps as they went: acceptances past
their deadline (each an escalation), follow-up visits due and overdue, partner replies overdue,
closure approvals overdue, return visits due and overdue; the cases whose missed deadlines
change. Nothing is stored.\n\n"""
    + CROSS_FIELD,
)
async def preview_api(user: Admin, clients: Clients, body: LifecyclePreviewIn) -> Any:
    return await RULES.api_preview(clients, user, {"values": body.values.model_dump()}, body.days)


@api.post(
    API,
    response_model=LifecyclePolicyRead,
    status_code=status.HTTP_201_CREATED,
    responses={**CONFLICT, **INVALID},
    description="""Save a new version: the cases reported from now on start with it; running
cases keep the deadlines they started with until a roll-out moves them.\n\n"""
    + CROSS_FIELD,
)
async def save_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: LifecyclePolicyIn
) -> Any:
    payload = {"values": body.values.model_dump(), "reason": body.reason}
    return await RULES.api_save(request, rt, clients, user, payload)
