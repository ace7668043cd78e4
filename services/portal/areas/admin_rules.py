"""Screening rules as data (administrators): edit, preview over recent cases, save a version.

Pages under /admin/rules/screening, the same in the JSON API under /api/v1/admin/rules/screening.
The disputes service validates, stores the versions (who, when, why) and computes the preview;
a saved version grades the cases registered from then on. The flow is the rules pages' own
(admin_lib/rules_pages.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from services.portal.admin_lib import rules as ar
from services.portal.admin_lib.rules_pages import (
    CONFLICT,
    INVALID,
    NO_VERSION,
    Admin,
    RulesPages,
    api_router,
)
from services.portal.deps import Clients, RuntimeDep, render, verify_csrf

UNAVAILABLE = "the disputes service is not available"
PATH = "/admin/rules/screening"
API = "/api/v1" + PATH
RULES = RulesPages(
    service="disputes",
    unavailable=UNAVAILABLE,
    path=PATH,
    version_model=ar.RulesVersion,
    preview_model=ar.Preview,
    audit_action="admin.rules.screening.saved",
    audit_subject="screening rules v{n}",
    template="admin/rules_screening.html",
)
LABELS = {"colours": ar.COLOURS, "facts": ar.FACTS, "ops": ar.OPS}
CROSS_FIELD = """Refused with 422 naming the field, beyond the schema: two rules with one id; a
yes/no fact with anything but `equals` true or false; a number fact with both `equals` and
`gte`."""

pages = APIRouter()
api = api_router(UNAVAILABLE)


@pages.get(PATH)
async def rules_page(
    request: Request,
    user: Admin,
    clients: Clients,
    version: Annotated[int | None, Query(ge=0)] = None,
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    current, versions, start = await RULES.start(clients, user, version)
    form = ar.RulesForm.of(start.rules.model_dump())
    context = {**LABELS, "current": current, "versions": versions, "saved": saved}
    return RULES.page(request, form, context)


@pages.post(PATH, dependencies=[Depends(verify_csrf)])
async def rules_post(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    form = ar.RulesForm.parse(await request.form())
    return await RULES.posted(request, clients, rt, user, form, LABELS)


@pages.get(PATH + "/versions/{number}")
async def version_page(request: Request, user: Admin, clients: Clients, number: int) -> Response:
    found = await RULES.version(clients, user, number)
    rows = [ar.RuleRow.of(r.model_dump()) for r in found.rules.rules]
    return render(request, "admin/rules_version.html", {**LABELS, "v": found, "rows": rows})


@api.get(API, response_model=ar.RulesVersion)
async def rules_api(user: Admin, clients: Clients) -> Any:
    """The screening rules in force (the version new cases are graded by)."""
    return await RULES.in_force(clients, user)


@api.get(f"{API}/versions", response_model=list[ar.RulesVersion])
async def versions_api(user: Admin, clients: Clients) -> Any:
    """Every version, newest first, with who saved it, when and why (0: rules.yaml)."""
    return await RULES.versions(clients, user)


@api.get(f"{API}/versions/{{number}}", response_model=ar.RulesVersion, responses=NO_VERSION)
async def version_api(user: Admin, clients: Clients, number: int) -> Any:
    return await RULES.version(clients, user, number)


@api.post(
    f"{API}/preview",
    response_model=ar.Preview,
    responses=INVALID,
    description="""How the cases of the last `days` days would be graded by these rules, against
the rules in force. Nothing is stored.\n\n"""
    + CROSS_FIELD,
)
async def preview_api(user: Admin, clients: Clients, body: ar.PreviewIn) -> Any:
    return await RULES.api_preview(clients, user, {"rules": body.rules.model_dump()}, body.days)


@api.post(
    API,
    response_model=ar.RulesVersion,
    status_code=status.HTTP_201_CREATED,
    responses={**CONFLICT, **INVALID},
    description="""Save a new version: it grades the cases registered from now on; running cases
keep the version they were graded with until a roll-out moves them.\n\n"""
    + CROSS_FIELD,
)
async def save_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: ar.RulesIn
) -> Any:
    payload = {"rules": body.rules.model_dump(), "reason": body.reason}
    return await RULES.api_save(request, rt, clients, user, payload)
