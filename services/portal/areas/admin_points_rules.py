"""Points earning rules as data (administrators): edit, preview over last month's awards, save
a version.

Pages under /admin/rules/points, the same in the JSON API under /api/v1/admin/rules/points.
The points service validates, stores the versions (who, when, why) and computes the preview
from its ledger; a saved version prices what is awarded from then on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from services.portal.admin_lib import points_rules as pr
from services.portal.admin_lib.backend import Problems, call
from services.portal.deps import (
    Clients,
    RuntimeDep,
    ServiceClients,
    User,
    audit,
    render,
    require_roles,
    verify_csrf,
)
from services.portal.web import client_ip
from shared.contracts.points_rules import (
    PointsPreviewIn,
    PointsPreviewRead,
    PointsRulesIn,
    PointsRulesVersionRead,
)
from shared.db import transaction

UNAVAILABLE = "the points service is not available"
PATH = "/admin/rules/points"


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


pages = APIRouter()
api = APIRouter(
    prefix="/api/v1",
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {"model": Problem, "description": "not an administrator"},
        503: {"model": Problem, "description": "the points service is not available"},
    },
)
Admin = Annotated[User, Depends(require_roles("admin"))]


async def _get(clients: ServiceClients, user: User, path: str) -> Any:
    return await call(clients.points, UNAVAILABLE, "GET", path, user)


async def _in_force(clients: ServiceClients, user: User) -> PointsRulesVersionRead:
    return PointsRulesVersionRead.model_validate(await _get(clients, user, PATH))


async def _save(
    request: Request, rt: RuntimeDep, clients: ServiceClients, user: User, body: dict[str, Any]
) -> PointsRulesVersionRead:
    """`body` as typed on the page or checked by the API's model: the service validates it."""
    saved = PointsRulesVersionRead.model_validate(
        await call(
            clients.points,
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
            action="admin.rules.points.saved",
            actor_id=user.user_id,
            subject=f"points rules v{saved.version}",
            ip=client_ip(request),
            detail={"version": saved.version, "reason": saved.reason},
        )
    return saved


def _page(
    request: Request, form: pr.PointsRulesForm, extra: dict[str, Any], code: int = 200
) -> Response:
    context = {
        "form": form,
        "fields": pr.FIELDS,
        "kinds": pr.KINDS,
        "preview": None,
        "current": None,
        "versions": [],
        "saved": None,
        **extra,
    }
    return render(request, "admin/rules_points.html", context, status_code=code)


@pages.get(PATH)
async def rules_page(
    request: Request,
    user: Admin,
    clients: Clients,
    version: Annotated[int | None, Query(ge=0)] = None,
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    current = await _in_force(clients, user)
    versions = [
        PointsRulesVersionRead.model_validate(v)
        for v in await _get(clients, user, f"{PATH}/versions")
    ]
    start = next((v for v in versions if v.version == version), current)
    form = pr.PointsRulesForm.of(start.rules.model_dump())
    return _page(request, form, {"current": current, "versions": versions, "saved": saved})


@pages.post(PATH, dependencies=[Depends(verify_csrf)])
async def rules_post(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    raw = await request.form()
    form = pr.PointsRulesForm.parse(raw)
    current = await _in_force(clients, user)
    try:
        if raw.get("action") == "save":
            saved = await _save(
                request, rt, clients, user, {"rules": form.rules(), "reason": form.reason}
            )
            return RedirectResponse(f"{PATH}?saved={saved.version}", status_code=303)
        result = await call(
            clients.points,
            UNAVAILABLE,
            "POST",
            f"{PATH}/preview",
            user,
            json={"rules": form.rules()},
            params={"days": form.days},
        )
    except Problems as exc:
        form.show(exc.problems)
        return _page(request, form, {"current": current}, code=422)
    preview = PointsPreviewRead.model_validate(result)
    return _page(request, form, {"current": current, "preview": preview})


@api.get("/admin/rules/points", response_model=PointsRulesVersionRead)
async def rules_api(user: Admin, clients: Clients) -> Any:
    """The earning rules in force (what an award made now is priced by)."""
    return await _get(clients, user, PATH)


@api.get("/admin/rules/points/versions", response_model=list[PointsRulesVersionRead])
async def versions_api(user: Admin, clients: Clients) -> Any:
    """Every version, newest first, with who saved it, when and why (0: rules.yaml)."""
    return await _get(clients, user, f"{PATH}/versions")


@api.get(
    "/admin/rules/points/versions/{number}",
    response_model=PointsRulesVersionRead,
    responses={404: {"model": Problem, "description": "no such version"}},
)
async def version_api(user: Admin, clients: Clients, number: int) -> Any:
    return await _get(clients, user, f"{PATH}/versions/{number}")


@api.post(
    "/admin/rules/points/preview",
    response_model=PointsPreviewRead,
    responses={422: {"model": Invalid, "description": "each problem with its field and reason"}},
)
async def preview_api(user: Admin, clients: Clients, body: PointsPreviewIn) -> Any:
    """What last `days` days' awards earned, and what the same events would have earned under
    these rules (from the points ledger). Nothing is stored."""
    try:
        return await call(
            clients.points,
            UNAVAILABLE,
            "POST",
            f"{PATH}/preview",
            user,
            json={"rules": body.rules.model_dump()},
            params={"days": body.days},
        )
    except Problems as exc:
        return exc.response()


@api.post(
    "/admin/rules/points",
    response_model=PointsRulesVersionRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"model": Problem, "description": "another version was saved at the same time"},
        422: {"model": Invalid, "description": "each problem with its field and reason"},
    },
)
async def save_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: PointsRulesIn
) -> Any:
    """Save a new version: it prices what is awarded from now on (a dispute event received, a
    patrol co-signed, a tip rated); what was awarded before keeps its points and its version."""
    try:
        return await _save(request, rt, clients, user, body.model_dump())
    except Problems as exc:
        return exc.response()
