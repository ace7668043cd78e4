"""Administrators roll a new lifecycle configuration out to running dispute cases.

The form shows the configuration new cases start with; the administrator edits it, names the
version, says why, chooses a station or every station, and confirms. The disputes service runs
the audited batch (each case writes the change to its timeline); the page shows how many cases
took it and which refused, with the reason. Cases not chosen keep their deadlines.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from services.portal.areas import _disputes_backend as backend
from services.portal.backend import problems_of
from services.portal.deps import Clients, User, actor_headers, render, require_roles, verify_csrf
from shared.contracts.disputes_read import LifecycleRead, RolloutRead

pages = APIRouter()
ORDER = 86  # after the admin hub (85), before accounts (90) and the security log (95)
NAV: list[tuple[str, str, set[str]]] = [("/admin/lifecycle", "Lifecycle roll-out", {"admin"})]
Admin = Depends(require_roles("admin"))
Csrf = Depends(verify_csrf)
TEMPLATE = "lifecycle/rollout.html"


async def _current(clients: Clients, user: User) -> LifecycleRead | None:
    try:
        return await backend.call(clients, user, "GET", "/lifecycle", LifecycleRead)
    except HTTPException:
        return None


@pages.get("/admin/lifecycle")
async def rollout_form(request: Request, clients: Clients, user: User = Admin) -> Response:
    """Starts from the newest saved lifecycle policy version (its number names the roll-out,
    its reason is offered), or from lifecycle.yaml while none is saved."""
    start = await _current(clients, user)
    values = {"lifecycle_yaml": "", "version": "", "reason": "", "station": ""}
    if start is not None:
        values["lifecycle_yaml"] = start.lifecycle_yaml
        if start.policy_version:
            values["version"] = f"policy-{start.policy_version}"
            values["reason"] = start.policy_reason or ""
    context: dict[str, Any] = {"values": values, "errors": [], "start": start}
    return render(request, TEMPLATE, context)


def _refused(values: dict[str, str], errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"values": values, "errors": errors, "start": None}


@pages.post("/admin/lifecycle", dependencies=[Csrf])
async def roll_out(
    request: Request,
    clients: Clients,
    lifecycle_yaml: str = Form(""),
    version: str = Form(""),
    reason: str = Form(""),
    station: str = Form(""),
    confirm: str = Form(""),
    user: User = Admin,
) -> Response:
    values = {"lifecycle_yaml": lifecycle_yaml, "version": version, "reason": reason}
    values["station"] = station
    errors: list[dict[str, str]] = []
    for field, value in (("lifecycle_yaml", lifecycle_yaml), ("version", version)):
        if not value.strip():
            errors.append({"field": field, "reason": "required"})
    if not reason.strip():
        errors.append({"field": "reason", "reason": "required"})
    if confirm != "yes":
        errors.append({"field": "confirm", "reason": "confirm the roll-out to running cases"})
    if errors:
        return render(request, TEMPLATE, _refused(values, errors), status_code=422)
    body: dict[str, Any] = {
        "lifecycle_yaml": lifecycle_yaml,
        "version": version.strip(),
        "reason": reason.strip(),
        "actor_id": user.user_id,
        "station": station.strip() or None,
    }
    try:
        resp = await clients.disputes.post(
            "/internal/v1/lifecycle/rollouts", json=body, headers=actor_headers(user), timeout=300
        )
    except httpx.HTTPError:
        errors = [{"field": "body", "reason": "the disputes service is not available right now"}]
        return render(request, TEMPLATE, _refused(values, errors), status_code=503)
    if resp.status_code == 422:
        errors = [{"field": p.field, "reason": p.reason} for p in problems_of(resp.json())]
        return render(request, TEMPLATE, _refused(values, errors), status_code=422)
    if resp.status_code >= 400:
        raise HTTPException(status_code=503, detail=backend.UNAVAILABLE)
    result = RolloutRead.model_validate(resp.json())
    await backend.record(
        request,
        user,
        "dispute.lifecycle_rollout",
        body["version"],
        {
            "reason": body["reason"],
            "station": body["station"],
            "rolled": len(result.rolled),
            "refused": result.refused,
        },
    )
    context = {"values": values, "errors": [], "result": result, "start": None}
    return render(request, TEMPLATE, context)
