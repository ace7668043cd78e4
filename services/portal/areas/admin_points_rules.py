"""Points rules as data (administrators): the earning amounts, the redemption hold and the
expiry period; edit, preview over last month's awards, save a version.

Pages under /admin/rules/points, the same in the JSON API under /api/v1/admin/rules/points.
The points service validates, stores the versions (who, when, why) and computes the preview
from its ledger; a saved version prices what is awarded from then on, and sets how long the
holds made and the points earned from then on last. The flow is the rules pages' own
(admin_lib/rules_pages.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from services.portal.admin_lib import points_rules as pr
from services.portal.admin_lib.rules_pages import (
    CONFLICT,
    INVALID,
    NO_VERSION,
    Admin,
    RulesPages,
    api_router,
)
from services.portal.deps import Clients, RuntimeDep, verify_csrf
from shared.contracts.points_rules import (
    PointsPreviewIn,
    PointsPreviewRead,
    PointsRulesIn,
    PointsRulesVersionRead,
)

UNAVAILABLE = "the points service is not available"
PATH = "/admin/rules/points"
API = "/api/v1" + PATH
RULES = RulesPages(
    service="points",
    unavailable=UNAVAILABLE,
    path=PATH,
    version_model=PointsRulesVersionRead,
    preview_model=PointsPreviewRead,
    audit_action="admin.rules.points.saved",
    audit_subject="points rules v{n}",
    template="admin/rules_points.html",
)
LABELS = {"fields": pr.FIELDS, "settings": pr.SETTINGS, "kinds": pr.KINDS}
CHECKS = """Refused with 422 naming the field and the reason: points are whole numbers from 0 to
10000; a held redemption waits 1 to 10080 minutes; points last 0 (never expire) to 3660 days.
`redemption_hold_minutes` and `expiry_days` left out keep the values in force."""

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
    form = pr.PointsRulesForm.of(start.rules.model_dump())
    context = {**LABELS, "current": current, "versions": versions, "saved": saved}
    return RULES.page(request, form, context)


@pages.post(PATH, dependencies=[Depends(verify_csrf)])
async def rules_post(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    form = pr.PointsRulesForm.parse(await request.form())
    return await RULES.posted(request, clients, rt, user, form, LABELS)


@api.get(API, response_model=PointsRulesVersionRead)
async def rules_api(user: Admin, clients: Clients) -> Any:
    """The points rules in force (what an award made now is priced by, how long a hold made
    now waits and how long points earned now last)."""
    return await RULES.in_force(clients, user)


@api.get(f"{API}/versions", response_model=list[PointsRulesVersionRead])
async def versions_api(user: Admin, clients: Clients) -> Any:
    """Every version, newest first, with who saved it, when and why (0: rules.yaml)."""
    return await RULES.versions(clients, user)


@api.get(f"{API}/versions/{{number}}", response_model=PointsRulesVersionRead, responses=NO_VERSION)
async def version_api(user: Admin, clients: Clients, number: int) -> Any:
    return await RULES.version(clients, user, number)


@api.post(
    f"{API}/preview",
    response_model=PointsPreviewRead,
    responses=INVALID,
    description="""What last `days` days' awards earned, and what the same events would have
earned under these rules (from the points ledger). Nothing is stored.\n\n"""
    + CHECKS,
)
async def preview_api(user: Admin, clients: Clients, body: PointsPreviewIn) -> Any:
    return await RULES.api_preview(clients, user, {"rules": body.rules.model_dump()}, body.days)


@api.post(
    API,
    response_model=PointsRulesVersionRead,
    status_code=status.HTTP_201_CREATED,
    responses={**CONFLICT, **INVALID},
    description="""Save a new version: it prices what is awarded from now on (a dispute event
received, a patrol co-signed, a tip rated), and its hold and expiry apply to the holds made and
the points earned from now on; what was awarded before keeps its points, its version and its
expiry (`rules_version` of each ledger entry), a hold made before keeps its end.\n\n"""
    + CHECKS,
)
async def save_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: PointsRulesIn
) -> Any:
    return await RULES.api_save(request, rt, clients, user, body.model_dump())
