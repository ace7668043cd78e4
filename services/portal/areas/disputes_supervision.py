"""Disputes area, supervisor console: the stuck board with its actions, and the figures."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from services.portal import charts
from services.portal.areas import _disputes_backend as backend
from services.portal.areas import _disputes_repair as repair
from services.portal.areas import _visits_board as visits
from services.portal.areas._disputes_forms import field_errors
from services.portal.areas._disputes_labels import ALL as LABELS
from services.portal.areas._figures import figures_context
from services.portal.deps import (
    Clients,
    FieldError,
    User,
    has_route,
    render,
    require_roles,
    verify_csrf,
)
from shared.contracts.disputes import ReassignInput
from shared.contracts.disputes_read import CaseSummary, WorkerHealth
from shared.contracts.disputes_read import StuckRow as StuckRead

pages = APIRouter()

NAV: list[tuple[str, str, set[str]]] = [
    ("/supervision/stuck", "Stuck board", {"station_chief", "admin"}),
    ("/supervision/figures", "Figures", {"station_chief", "admin"}),
]

Supervisor = Depends(require_roles(*backend.SUPERVISORS))
Csrf = Depends(verify_csrf)
BOARD_ACTIONS = ("reassign", "escalate", "cancel", "retry", "terminate", *repair.REPAIRS)
# repairs that end or rewrite a workflow: confirmed on the page (the `confirm` box)
CONFIRMED = ("terminate", "reset")
# the service's row codes the page words by themselves (anything else: past its deadline)
EXPLAINED = {"idle": "idle", "nearly": "nearly", "not_accepted": "not_accepted"}


class StuckRow(BaseModel):
    """One row of the board, whatever extra the disputes service adds."""

    model_config = ConfigDict(extra="ignore")
    case_id: str
    case_no: str | None = None
    kind: str = "business"  # business | technical
    level: str = "red"  # red (breached) | amber (>= 75 % used) | technical
    reason: str = ""
    since: datetime | None = None
    stage: str = ""
    colour: str = ""
    station_code: str | None = None
    station_name: str | None = None
    assignee_id: str | None = None
    village_code: str | None = None
    stage_deadline: datetime | None = None
    attempts: int | None = None
    last_failure: str | None = None
    explain: str = "breached"  # breached | nearly | idle | not_accepted | technical
    used_pct: int | None = None
    window_start: datetime | None = None
    officers_tried: int | None = None
    partner_code: str | None = None  # whose channel a failing linkage notice waits on


class WorkerStatus(BaseModel):
    """Whether a worker polls the disputes task queue; `why` in words when none does."""

    model_config = ConfigDict(extra="ignore")
    task_queue: str
    polled: bool
    last_poll: datetime | None = None
    why: str | None = None


def worker_status(health: WorkerHealth | None) -> WorkerStatus | None:
    return None if health is None else WorkerStatus.model_validate(health.model_dump())


def stuck_rows(board: list[StuckRead]) -> list[StuckRow]:
    """The service's rows as the page shows them; their figures (`code`, `used_pct`,
    `window_start`, `deadline`) come as fields, so the page words and translates them (`why`
    stays as the English detail)."""
    rows = []
    for r in board:
        technical = r.kind == "technical"
        rows.append(
            StuckRow(
                case_id=r.case_id,
                case_no=r.case_no,
                kind=r.kind,
                level="technical" if technical else r.level,
                reason=r.why,
                since=r.since,
                stage=r.stage or "",
                station_code=r.station_code,
                station_name=r.station_name,
                assignee_id=r.assignee_id,
                stage_deadline=r.deadline,
                attempts=r.attempts,
                last_failure=r.last_failure,
                explain="technical" if technical else EXPLAINED.get(r.code, "breached"),
                used_pct=r.used_pct,
                window_start=r.window_start,
                officers_tried=r.officers_tried,
                partner_code=r.partner_code,
            )
        )
    return rows


def partner_links(request: Request, user: User, rows: list[StuckRow]) -> set[str]:
    """The partner organisations of the rows whose page (where their channel is fixed) the
    user may open: an administrator any, a station chief their own station's."""
    own = {
        r.partner_code for r in rows if user.role == "admin" or r.station_code == user.station_code
    }
    return {c for c in own if c and has_route(request, f"/admin/partners/{c}")}


def with_cases(rows: list[StuckRow], cases: list[CaseSummary]) -> list[StuckRow]:
    """Stage, colour and deadline of each row's case (the board's rows carry only ids)."""
    by_id = {c.case_id: c for c in cases}
    out = []
    for r in rows:
        c = by_id.get(r.case_id)
        if c is None:
            out.append(r)
            continue
        update: dict[str, Any] = {
            k: v
            for k, v in (("stage", c.stage), ("colour", c.colour), ("village_code", c.village_code))
            if v
        }
        if c.stage_deadline:
            update["stage_deadline"] = c.stage_deadline
        out.append(r.model_copy(update=update))
    return out


def grouped(rows: list[StuckRow]) -> list[tuple[str, list[tuple[str, list[StuckRow]]]]]:
    """Business-stuck rows by station, then officer; red before amber, oldest first."""
    order = {"red": 0, "amber": 1}
    stations: dict[str, dict[str, list[StuckRow]]] = {}
    for r in sorted(rows, key=lambda r: (order.get(r.level, 2), str(r.since or ""))):
        stations.setdefault(r.station_code or "", {}).setdefault(r.assignee_id or "", []).append(r)
    return [(s, sorted(by_officer.items())) for s, by_officer in sorted(stations.items())]


async def _board(
    request: Request,
    clients: Clients,
    user: User,
    *,
    status_code: int = 200,
    message: str | None = None,
    failed: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    board = await backend.stuck(clients, user)
    rows, workers = stuck_rows(board.items), board.workers
    station = backend.supervised_station(user)
    if station is not None:
        rows = with_cases(rows, await backend.list_cases(clients, user, station=station))
    business = [r for r in rows if r.level != "technical"]
    technical = [r for r in rows if r.level == "technical"]
    officers = await backend.officers(clients, user, station)
    home_visits = await visits.board(clients, user)
    ctx = {
        "groups": grouped(business),
        "technical": technical,
        "partner_links": partner_links(request, user, technical),
        "counts": {
            "red": sum(r.level == "red" for r in business),
            "amber": sum(r.level == "amber" for r in business),
            "technical": len(technical),
            "visits": len(home_visits.items),
        },
        "visits": home_visits,
        "workers": worker_status(workers),
        "officers": officers,
        "officer_names": {o.user_id: o.name for o in officers},
        "station_names": {r.station_code: r.station_name for r in rows if r.station_name},
        "message": message,
        "failed": failed,
        "errors": errors or [],
        "idem": uuid.uuid4().hex,
        "L": LABELS,
    }
    return render(request, "disputes/stuck.html", ctx, status_code=status_code)


@pages.get("/supervision/stuck")
async def stuck_board(request: Request, clients: Clients, user: User = Supervisor) -> Response:
    done = request.query_params.get("done")
    return await _board(request, clients, user, message=done)


async def _in_scope(clients: Clients, user: User, case_id: str) -> None:
    """404 / 403 before acting. A workflow stuck before its case was registered is known only
    to the board (scoped by station): being on this supervisor's board is the scope then."""
    try:
        await backend.fetch_case(clients, user, case_id)
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        if not any(r.case_id == case_id for r in (await backend.stuck(clients, user)).items):
            raise


@pages.post("/supervision/stuck/{case_id}/{action}", dependencies=[Csrf])
async def board_action(
    request: Request,
    case_id: str,
    action: str,
    clients: Clients,
    user: User = Supervisor,
) -> Response:
    if action not in BOARD_ACTIONS:
        raise HTTPException(status_code=404, detail=f"no action {action!r}")
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    await _in_scope(clients, user, case_id)
    reason = values.get("reason", "").strip()
    if action in CONFIRMED and (values.get("confirm") != "yes" or not reason):
        errs = [{"field": "confirm", "reason": "tick the box and give a reason to confirm"}]
        return await _board(request, clients, user, status_code=422, failed=case_id, errors=errs)
    try:
        if action == "terminate":
            await repair.terminate(clients, user, case_id, reason)
        elif action in repair.REPAIRS:
            await repair.repair_case(clients, user, action, case_id, reason or action)
        elif action == "retry":
            await backend.retry(clients, user, case_id, reason or "retry now")
        else:
            payload = {"reason": reason}
            if action == "reassign":
                payload["officer_id"] = values.get("officer_id", "")
            model = backend.parse_action(action, payload)
            await backend.act(clients, user, case_id, action, model, values.get("idem"))
    except ValidationError as exc:
        return await _board(
            request, clients, user, status_code=422, failed=case_id, errors=field_errors(exc)
        )
    except FieldError as exc:
        errs = [{"field": exc.field, "reason": exc.reason}]
        return await _board(request, clients, user, status_code=422, failed=case_id, errors=errs)
    except backend.ActionRefused as exc:
        errs = [{"field": action, "reason": exc.reason}]
        return await _board(request, clients, user, status_code=409, failed=case_id, errors=errs)
    except HTTPException as exc:
        if exc.status_code != 503:
            raise
        errs = [{"field": action, "reason": str(exc.detail)}]
        return await _board(request, clients, user, status_code=503, failed=case_id, errors=errs)
    await backend.record(request, user, f"dispute.{action}", case_id, {"reason": reason})
    return RedirectResponse(f"/supervision/stuck?done={action}", status_code=303)


@pages.post("/supervision/reconcile", dependencies=[Csrf])
async def reconcile_page(request: Request, clients: Clients, user: User = Supervisor) -> Response:
    """The board's button: open case and visit rows compared with their workflows, drift
    repaired."""
    result = await repair.reconcile(clients, user)
    repaired = [r.case_id for r in result.repaired]
    done = await visits.reconcile(clients, user)
    repaired += [str(r.get("visit_id")) for r in done.get("repaired", [])]
    await backend.record(request, user, "dispute.reconcile", "board", {"repaired": repaired})
    return RedirectResponse(f"/supervision/stuck?done=reconcile-{len(repaired)}", status_code=303)


@pages.post("/supervision/bulk-reassign", dependencies=[Csrf])
async def bulk_reassign(
    request: Request,
    clients: Clients,
    from_officer: str = Form(""),
    to_officer: str = Form(""),
    reason: str = Form(""),
    idem: str = Form(""),
    user: User = Supervisor,
) -> Response:
    """An officer on leave: every open case of theirs goes to a colleague, one audited
    reassign each (idempotent per case, so a resubmitted form moves nothing twice)."""
    errors = []
    if not from_officer:
        errors.append({"field": "from_officer", "reason": "required"})
    try:
        ReassignInput(officer_id=to_officer, reason=reason)
    except ValidationError as exc:
        errors.extend(field_errors(exc))
    if from_officer and from_officer == to_officer:
        errors.append({"field": "to_officer", "reason": "must differ from the officer on leave"})
    elif to_officer and not await active_colleague(clients, user, from_officer, to_officer):
        errors.append(
            {"field": "to_officer", "reason": "not an active officer of the same station"}
        )
    if errors:
        return await _board(request, clients, user, status_code=422, failed="bulk", errors=errors)
    moved, refused = await reassign_all(clients, user, from_officer, to_officer, reason, idem)
    await backend.record(
        request,
        user,
        "dispute.bulk_reassign",
        from_officer,
        {"to": to_officer, "reason": reason, "moved": moved, "refused": refused},
    )
    return RedirectResponse(f"/supervision/stuck?done=bulk-{len(moved)}", status_code=303)


async def active_colleague(
    clients: Clients, user: User, from_officer: str, to_officer: str
) -> bool:
    """`to_officer` is active (the directory lists only active officers) and serves the station
    of the cases moved: the supervisor's own, or for the county bureau the leaving officer's."""
    everyone = {o.user_id: o for o in await backend.officers(clients, user, None)}
    target = everyone.get(to_officer)
    if target is None:
        return False
    station = backend.supervised_station(user)
    if station is None and from_officer in everyone:
        station = everyone[from_officer].station_code
    return station is None or target.station_code == station


async def reassign_all(
    clients: Clients, user: User, from_officer: str, to_officer: str, reason: str, idem: str
) -> tuple[list[str], list[str]]:
    station = backend.supervised_station(user)
    if station is None:  # the county bureau: the station of the officer on leave
        found = [
            o for o in await backend.officers(clients, user, None) if o.user_id == from_officer
        ]
        station = found[0].station_code if found else None
    if station is None:
        return [], []
    rows = await backend.list_cases(clients, user, station=station)
    moved: list[str] = []
    refused: list[str] = []
    key = idem or uuid.uuid4().hex
    for row in rows:
        case_id = row.case_id
        if row.assignee_id != from_officer or row.stage not in backend.OPEN_STAGES:
            continue
        payload = ReassignInput(officer_id=to_officer, reason=reason)
        try:
            await backend.act(clients, user, case_id, "reassign", payload, f"bulk:{key}:{case_id}")
        except (backend.ActionRefused, HTTPException):
            refused.append(case_id)
        else:
            moved.append(case_id)
    return moved, refused


def bars(data: Any) -> list[tuple[str, float]]:
    """Any figure the services return ({label: n}, {label: {median: n, p90: n}}, [{..}])
    -> [(label, number)] for a bar chart."""
    out: list[tuple[str, float]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                out.append((str(key), float(value)))
            elif isinstance(value, dict):
                out.extend((f"{key} · {k}", v) for k, v in bars(value))
    elif isinstance(data, list):
        for item in data:
            if not isinstance(item, dict):
                continue
            prefix = " · ".join(str(v) for v in item.values() if isinstance(v, str))
            nums = [
                (k, float(v))
                for k, v in item.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            if len(nums) == 1:
                out.append((prefix, nums[0][1]))
            else:
                out.extend((f"{prefix} · {k}", v) for k, v in nums)
    return out


@pages.get("/supervision/figures")
async def figures_page(request: Request, clients: Clients, user: User = Supervisor) -> Response:
    ctx = await figures_context(clients, user)
    gettext = request.app.state.portal.translator.gettext  # follows the page's language
    ctx.update(draw=partial(charts.draw, gettext=gettext), L=LABELS)
    return render(request, "disputes/figures.html", ctx)
