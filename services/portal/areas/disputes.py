"""Disputes area, officer and resident pages: task list, case page with its action forms,
new-case forms, a resident's own cases. Supervision pages are in `disputes_supervision.py`,
the JSON API in `disputes_api.py`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.portal.admin_lib.rule_labels import rule_labels
from services.portal.areas import _disputes_backend as backend
from services.portal.areas import _disputes_forms as forms
from services.portal.areas import _partners_backend as partners_backend
from services.portal.areas import _tasks_backend as task_list
from services.portal.areas._disputes_intake import check_intake, count_report
from services.portal.areas._disputes_labels import ALL as LABELS
from services.portal.areas._disputes_models import CaseDetail
from services.portal.deps import (
    Clients,
    CurrentUser,
    FieldError,
    User,
    render,
    require_roles,
    verify_csrf,
)
from services.portal.service import audit_once_within
from services.portal.web import portal_of
from shared.contracts.disputes_read import OfficerRead, VillageRead
from shared.db import transaction

pages = APIRouter()

NAV: list[tuple[str, str, set[str]]] = [
    ("/tasks", "My tasks", {"officer", "station_chief"}),
    ("/cases/new", "Report a dispute", {"resident"}),
    ("/cases/new", "New case", {"officer", "station_chief"}),
    ("/my/cases", "My cases", {"resident"}),
]

Staff = Depends(require_roles(*backend.STAFF_ROLES))
Reporter = Depends(require_roles(*backend.STAFF_ROLES, "resident"))
Csrf = Depends(verify_csrf)


@pages.get("/tasks")
async def tasks_page(
    request: Request,
    clients: Clients,
    user: User = Staff,
    colour: str | None = None,
    village: str | None = None,
    kind: str | None = None,
) -> Response:
    tasks, missing = await task_list.merged_tasks(clients, user)
    shown = task_list.filter_tasks(tasks, colour=colour, village=village, kind=kind)
    names = {v.code: v.name for v in await backend.villages(clients, user, user.station_code)}
    codes = sorted({t.village_code for t in tasks if t.village_code})
    villages = [(c, names.get(c, c)) for c in codes]
    return render(
        request,
        "disputes/tasks.html",
        {
            "tasks": shown,
            "total": len(tasks),
            "counts": task_list.counts_by_kind(tasks),
            "villages": villages,
            "village_names": names,
            "missing": missing,
            "filters": {"colour": colour or "", "village": village or "", "kind": kind or ""},
            "L": LABELS,
        },
    )


async def _case_context(clients: Clients, user: User, case: CaseDetail) -> dict[str, Any]:
    officers: list[OfficerRead] = []
    if user.role in backend.SUPERVISORS and "reassign" in case.allowed_actions:
        officers = await backend.officers(clients, user, case.station_code)
    orgs = await partners_backend.organisations(
        clients, user, village=case.village_code, station=case.station_code
    )
    return {
        "partner_orgs": orgs,
        "org_names": {o.code: o.name for o in orgs},
        "case": case.masked(),
        "L": LABELS,
        "officers": [o for o in officers if o.user_id != case.assignee_id],
        "idem": uuid.uuid4().hex,
        "is_assignee": case.assignee_id == user.user_id,
        "is_supervisor": user.role in backend.SUPERVISORS,
        "may_call": may_call_parties(user, case),
        "revealed": {},
        "rule_labels": await rule_labels(clients, user, case.rules_fired, LABELS["rules"]),
    }


def _render_case(
    request: Request,
    ctx: dict[str, Any],
    *,
    status_code: int = 200,
    failed: str | None = None,
    reason: str | None = None,
    errors: list[dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = {
        **ctx,
        "failed": failed,
        "reason": reason,
        "errors": errors or [],
        "values": values or {},
    }
    return render(request, "disputes/case.html", ctx, status_code=status_code)


@pages.get("/cases/new")
async def new_case_page(request: Request, clients: Clients, user: User = Reporter) -> Response:
    return await _new_case_form(request, clients, user, values={}, errors=[])


async def _new_case_form(
    request: Request,
    clients: Clients,
    user: User,
    *,
    values: dict[str, str],
    errors: list[dict[str, str]],
    status_code: int = 200,
) -> Response:
    station = None if user.role in ("admin", "resident") else user.station_code
    villages = await backend.villages(clients, user, station)
    if user.role == "resident":  # residents report only in their own village
        villages = [v for v in villages if v.code == user.village_code]
    chosen = values.get("village_code") or user.village_code or ""
    if not villages and chosen:
        villages = [
            VillageRead(code=chosen, name=chosen, township="", station_code="", police_room_code="")
        ]
    template = "disputes/report.html" if user.role == "resident" else "disputes/new_case.html"
    ctx = {
        "villages": villages,
        "chosen": chosen,
        "values": values,
        "errors": errors,
        "idem": uuid.uuid4().hex,
        "L": LABELS,
    }
    return render(request, template, ctx, status_code=status_code)


@pages.post("/cases/new", dependencies=[Csrf])
async def new_case_submit(request: Request, clients: Clients, user: User = Reporter) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        intake = forms.intake_from_form(values, user)
        if user.role in ("officer", "station_chief"):
            await forms.check_village(clients, user, intake.village_code)
    except ValidationError as exc:
        errs = forms.field_errors(exc)
        return await _new_case_form(
            request, clients, user, values=values, errors=errs, status_code=422
        )
    except forms.FormError as exc:
        errs = [{"field": exc.field, "reason": exc.reason}]
        return await _new_case_form(
            request, clients, user, values=values, errors=errs, status_code=422
        )
    intake = intake.model_copy(update={"case_id": backend.case_id_for(user, values.get("idem"))})
    factory = request.app.state.runtime.factory
    try:
        intake = await check_intake(
            factory, user, intake, reports_per_day=portal_of(request).settings.reports_per_day
        )
        case_id = await backend.start_case(clients, user, intake)
        await count_report(factory, user, case_id)
    except FieldError as exc:
        errs = [{"field": exc.field, "reason": exc.reason}]
        return await _new_case_form(
            request, clients, user, values=values, errors=errs, status_code=422
        )
    target = f"/my/cases?new={case_id}" if user.role == "resident" else f"/cases/{case_id}"
    return RedirectResponse(target, status_code=303)


@pages.get("/cases/{case_id}")
async def case_page(
    request: Request, case_id: str, clients: Clients, user: CurrentUser
) -> Response:
    if user.role not in (*backend.STAFF_ROLES, "resident"):
        raise HTTPException(status_code=403, detail="not allowed for your role")
    case = await backend.named(clients, user, await backend.fetch_case(clients, user, case_id))
    if user.role == "resident":
        ctx = {"case": case, "handler": case.assignee_name, "L": LABELS}
        return render(request, "disputes/case_resident.html", ctx)
    return _render_case(request, await _case_context(clients, user, case))


def may_call_parties(user: User, case: CaseDetail) -> bool:
    """The officer handling the case, or a supervisor over it (scope checked by fetch_case)."""
    return case.assignee_id == user.user_id or user.role in backend.SUPERVISORS


@pages.post("/cases/{case_id}/parties/{position}/phone", dependencies=[Csrf])
async def reveal_phone(
    request: Request, case_id: str, position: int, clients: Clients, user: User = Staff
) -> Response:
    """One party's full number, to call them; each reveal is in the security audit log (the
    number itself never is)."""
    case = await backend.named(clients, user, await backend.fetch_case(clients, user, case_id))
    if not may_call_parties(user, case):
        raise HTTPException(
            status_code=403,
            detail="only the officer handling the case or a supervisor can see a party's number",
        )
    if not 0 <= position < len(case.parties):
        raise HTTPException(status_code=404, detail="no such party")
    rt = request.app.state.runtime
    async with transaction(rt.factory) as session:
        allowed = await audit_once_within(
            session,
            action="case.phone_revealed",
            actor_id=user.user_id,
            subject=case_id,
            detail={"party": position},
            limit=portal_of(request).settings.phone_reveals_per_hour,
            window=timedelta(hours=1),
        )
    if not allowed:
        raise HTTPException(
            status_code=429,
            detail="too many numbers shown in the last hour; ask your station chief",
        )
    ctx = await _case_context(clients, user, case)
    ctx["revealed"] = {position: case.parties[position].phone}
    return _render_case(request, ctx)


@pages.post("/cases/{case_id}/actions/{action}", dependencies=[Csrf])
async def case_action(
    request: Request, case_id: str, action: str, clients: Clients, user: User = Staff
) -> Response:
    if action not in LABELS["actions"]:
        raise HTTPException(status_code=404, detail=f"no action {action!r}")
    case = await backend.named(clients, user, await backend.fetch_case(clients, user, case_id))
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        payload = backend.parse_action(action, forms.payload_from_form(action, values))
    except ValidationError as exc:
        ctx = await _case_context(clients, user, case)
        errs = forms.field_errors(exc)
        return _render_case(
            request, ctx, status_code=422, failed=action, errors=errs, values=values
        )
    try:
        await backend.act(clients, user, case_id, action, payload, values.get("idem"))
    except backend.ActionRefused as exc:
        case = await backend.fetch_case(clients, user, case_id)
        ctx = await _case_context(clients, user, await backend.named(clients, user, case))
        return _render_case(
            request, ctx, status_code=409, failed=action, reason=exc.reason, values=values
        )
    if action in forms.SUPERVISOR_ACTIONS:
        detail = {"reason": values.get("reason", ""), "via": "case page"}
        await backend.record(request, user, f"dispute.{action}", case_id, detail)
    return RedirectResponse(f"/cases/{case_id}#timeline", status_code=303)


@pages.get("/my/cases")
async def my_cases(
    request: Request, clients: Clients, user: User = Depends(require_roles("resident"))
) -> Response:
    try:
        rows = await backend.list_cases(clients, user, resident_id=user.user_id)
    except HTTPException:
        rows, unavailable = [], True
    else:
        unavailable = False
    rows.sort(key=lambda r: r.reported_at, reverse=True)
    ctx = {
        "cases": rows,
        "unavailable": unavailable,
        "new": request.query_params.get("new"),
        "L": LABELS,
    }
    return render(request, "disputes/my_cases.html", ctx)
