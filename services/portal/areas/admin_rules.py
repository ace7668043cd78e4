"""Screening rules as data (administrators): edit, preview over recent cases, save a version.

Pages under /admin/rules/screening, the same in the JSON API under /api/v1/admin/rules/screening.
The disputes service validates, stores the versions (who, when, why) and computes the preview;
a saved version grades the cases registered from then on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from services.portal.admin_lib import rules as ar
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
from shared.db import transaction

UNAVAILABLE = "the disputes service is not available"
PATH = "/admin/rules/screening"


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
        503: {"model": Problem, "description": "the disputes service is not available"},
    },
)
Admin = Annotated[User, Depends(require_roles("admin"))]


async def _get(clients: ServiceClients, user: User, path: str) -> Any:
    return await call(clients.disputes, UNAVAILABLE, "GET", path, user)


async def _save(
    request: Request, rt: RuntimeDep, clients: ServiceClients, user: User, body: dict[str, Any]
) -> ar.RulesVersion:
    saved = ar.RulesVersion.model_validate(
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
            action="admin.rules.screening.saved",
            actor_id=user.user_id,
            subject=f"screening rules v{saved.version}",
            ip=client_ip(request),
            detail={"version": saved.version, "reason": saved.reason},
        )
    return saved


def _page(request: Request, form: ar.RulesForm, extra: dict[str, Any], code: int = 200) -> Response:
    context = {
        "form": form,
        "colours": ar.COLOURS,
        "facts": ar.FACTS,
        "ops": ar.OPS,
        "preview": None,
        "current": None,
        "versions": [],
        "saved": None,
        **extra,
    }
    return render(request, "admin/rules_screening.html", context, status_code=code)


@pages.get(PATH)
async def rules_page(
    request: Request,
    user: Admin,
    clients: Clients,
    version: Annotated[int | None, Query(ge=0)] = None,
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    current = ar.RulesVersion.model_validate(await _get(clients, user, PATH))
    versions = [
        ar.RulesVersion.model_validate(v) for v in await _get(clients, user, f"{PATH}/versions")
    ]
    start = next((v for v in versions if v.version == version), current)
    form = ar.RulesForm.of(start.rules.model_dump())
    return _page(request, form, {"current": current, "versions": versions, "saved": saved})


@pages.post(PATH, dependencies=[Depends(verify_csrf)])
async def rules_post(request: Request, user: Admin, clients: Clients, rt: RuntimeDep) -> Response:
    raw = await request.form()
    form = ar.RulesForm.parse(raw)
    current = ar.RulesVersion.model_validate(await _get(clients, user, PATH))
    try:
        if raw.get("action") == "save":
            saved = await _save(
                request, rt, clients, user, {"rules": form.rules(), "reason": form.reason}
            )
            return RedirectResponse(f"{PATH}?saved={saved.version}", status_code=303)
        result = await call(
            clients.disputes,
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
    form.rows += ar.new_rows()
    return _page(request, form, {"current": current, "preview": ar.Preview.model_validate(result)})


@pages.get(PATH + "/versions/{number}")
async def version_page(request: Request, user: Admin, clients: Clients, number: int) -> Response:
    found = ar.RulesVersion.model_validate(await _get(clients, user, f"{PATH}/versions/{number}"))
    return render(
        request,
        "admin/rules_version.html",
        {
            "v": found,
            "colours": ar.COLOURS,
            "facts": ar.FACTS,
            "rows": [ar.RuleRow.of(r.model_dump()) for r in found.rules.rules],
            "ops": ar.OPS,
        },
    )


@api.get("/admin/rules/screening", response_model=ar.RulesVersion)
async def rules_api(user: Admin, clients: Clients) -> Any:
    """The screening rules in force (the version new cases are graded by)."""
    return await _get(clients, user, PATH)


@api.get("/admin/rules/screening/versions", response_model=list[ar.RulesVersion])
async def versions_api(user: Admin, clients: Clients) -> Any:
    """Every version, newest first, with who saved it, when and why (0: rules.yaml)."""
    return await _get(clients, user, f"{PATH}/versions")


@api.get(
    "/admin/rules/screening/versions/{number}",
    response_model=ar.RulesVersion,
    responses={404: {"model": Problem, "description": "no such version"}},
)
async def version_api(user: Admin, clients: Clients, number: int) -> Any:
    return await _get(clients, user, f"{PATH}/versions/{number}")


@api.post(
    "/admin/rules/screening/preview",
    response_model=ar.Preview,
    responses={422: {"model": Invalid, "description": "each problem with its field and reason"}},
)
async def preview_api(user: Admin, clients: Clients, body: ar.PreviewIn) -> Any:
    """How the cases of the last `days` days would be graded by these rules, against the rules
    in force. Nothing is stored.

    Refused with 422 naming the field, beyond the schema: two rules with one id; a yes/no fact
    with anything but `equals` true or false; a number fact with both `equals` and `gte`."""
    try:
        return await call(
            clients.disputes,
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
    "/admin/rules/screening",
    response_model=ar.RulesVersion,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"model": Problem, "description": "another version was saved at the same time"},
        422: {"model": Invalid, "description": "each problem with its field and reason"},
    },
)
async def save_api(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, body: ar.RulesIn
) -> Any:
    """Save a new version: it grades the cases registered from now on; running cases keep the
    version they were graded with until a roll-out moves them.

    Refused with 422 naming the field, beyond the schema: two rules with one id; a yes/no fact
    with anything but `equals` true or false; a number fact with both `equals` and `gte`."""
    try:
        return await _save(
            request, rt, clients, user, {"rules": body.rules.model_dump(), "reason": body.reason}
        )
    except Problems as exc:
        return exc.response()
