"""The disputes area's access to the backends: the disputes service's internal API (which
owns the workflows: the portal holds no Temporal client for disputes).

No routes here. Pages (`disputes.py`, `disputes_supervision.py`) and the JSON API
(`disputes_api.py`) share these calls, the scope rules and the view models.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from services.portal.areas._disputes_models import CaseDetail, PartnerRequestOut
from services.portal.backend import Problems, problems_of, service_reason
from services.portal.deps import (
    ServiceClients,
    User,
    actor_headers,
    audit,
    backend_path,
)
from shared.contracts.disputes import ACTIONS, Actor, CaseView, DisputeIntake
from shared.stages import LIVE_STAGES
from shared.tasks import COUNTY_DESK, TaskPage, TaskRead

log = logging.getLogger("fengqiao.portal.disputes")

STAFF_ROLES = ("officer", "station_chief", "admin")
SUPERVISORS = ("station_chief", "admin")
OPEN_STAGES = LIVE_STAGES  # the workflow still runs and answers queries (shared.stages)


class ActionRefused(Exception):
    """The disputes service refused the action (409); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def record(
    request: Request, user: User, action: str, subject: str, detail: dict[str, Any]
) -> None:
    """A supervisor's action in the portal's audit log (the disputes service keeps its own)."""
    rt = request.app.state.runtime
    async with rt.factory() as session, session.begin():
        await audit(session, action=action, actor_id=user.user_id, subject=subject, detail=detail)


def _unavailable(exc: Exception, what: str) -> HTTPException:
    log.warning("disputes area: %s unavailable: %s", what, exc)
    return HTTPException(status_code=503, detail=f"{what} is not available right now")


async def _get(client: httpx.AsyncClient, path: str, user: User, **params: Any) -> httpx.Response:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    try:
        return await client.get(backend_path(path), params=query, headers=actor_headers(user))
    except httpx.HTTPError as exc:
        raise _unavailable(exc, "the disputes service") from exc


def _json(resp: httpx.Response, what: str) -> Any:
    if resp.status_code >= 400:
        log.warning("disputes area: %s answered %s", what, resp.status_code)
        reason = service_reason(resp) or f"{what} is not available right now"
        raise HTTPException(status_code=503, detail=reason)
    return resp.json()


def _rows(data: Any, what: str) -> list[dict[str, Any]]:
    """The rows of a list answer (cases, villages, officers: a JSON list; the stuck board: its
    `items`), as services/disputes/schemas.py declares them; anything else is a service out of
    step with its contract, shown as unavailable."""
    rows = data.get("items") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        log.error("disputes area: %s answered out of contract: %.200r", what, data)
        raise HTTPException(status_code=503, detail=f"{what} is not available right now")
    return rows


# --- scope ------------------------------------------------------------------------------------


def can_see(user: User, case: CaseDetail) -> bool:
    if user.role == "admin":
        return True
    if user.role in ("officer", "station_chief"):
        return case.station_code is not None and case.station_code == user.station_code
    if user.role == "resident":
        return case.involves(user.user_id)
    return False


def actor_of(user: User) -> Actor:
    role = user.role if user.role in STAFF_ROLES else "officer"
    return Actor(user_id=user.user_id, role=role, station_code=user.station_code)


# --- cases ------------------------------------------------------------------------------------


async def fetch_case(clients: ServiceClients, user: User, case_id: str) -> CaseDetail:
    """The case, or 404 (unknown) / 403 (outside the caller's scope)."""
    resp = await _get(clients.disputes, f"/internal/v1/cases/{case_id}", user)
    if resp.status_code == 404:
        # Not (yet) in the service's tables: a case whose registration is still running.
        case = await _from_workflow(clients, user, case_id)
    else:
        case = CaseDetail.model_validate(_json(resp, "the disputes service"))
    if not can_see(user, case):
        raise HTTPException(status_code=403, detail="this case is outside your jurisdiction")
    if case.stage in OPEN_STAGES:
        try:
            case = merge_view(case, await live_view(clients, user, case_id))
        except HTTPException as exc:  # the page still shows the stored case
            log.warning("disputes area: live view of case %s failed: %s", case_id, exc.detail)
    return case


async def named(clients: ServiceClients, user: User, case: CaseDetail) -> CaseDetail:
    """The village's and the handling officer's names from the directory, for pages."""
    update: dict[str, Any] = {}
    for v in await villages(clients, user, case.station_code):
        if v.get("code") == case.village_code:
            update["village_name"] = v.get("name")
    if case.assignee_id and not case.assignee_name:
        for o in await officers(clients, user, case.station_code):
            if o.get("user_id") == case.assignee_id:
                update["assignee_name"] = o.get("name")
    return case.model_copy(update=update)


async def live_view(clients: ServiceClients, user: User, case_id: str) -> CaseView:
    """The case as its workflow holds it, asked of the disputes service (which owns the
    workflows; the portal has no Temporal client for disputes). 404 / 409 / 503 as it says."""
    resp = await _get(clients.disputes, f"/internal/v1/cases/{case_id}/live", user)
    if resp.status_code in (404, 409, 503):
        raise HTTPException(status_code=resp.status_code, detail=_detail(resp))
    return CaseView.model_validate(_json(resp, "the disputes service"))


def _detail(resp: httpx.Response) -> str:
    try:
        detail = resp.json().get("detail")
    except ValueError:
        return resp.text
    return str(detail) if detail is not None else resp.text


async def _from_workflow(clients: ServiceClients, user: User, case_id: str) -> CaseDetail:
    try:
        live = await live_view(clients, user, case_id)
    except HTTPException as exc:  # unknown to Temporal too (or not queryable): no such case
        raise HTTPException(status_code=404, detail="no such case") from exc
    return merge_view(
        CaseDetail(
            case_id=case_id,
            case_no=live.case_no,
            stage=live.stage,
            station_code=live.station_code,
            village_code=live.village_code,
        ),
        live,
    )


def merge_view(case: CaseDetail, live: CaseView) -> CaseDetail:
    return case.model_copy(
        update={
            "stage": live.stage,
            "colour": live.colour,
            "rules_fired": live.rules_fired,
            "assignee_id": live.assignee_id,
            "stage_deadline": live.stage_deadline,
            "next_follow_up_at": live.next_follow_up_at,
            "allowed_actions": live.allowed_actions,
            "partner_requests": [
                PartnerRequestOut.model_validate(p.model_dump()) for p in live.partner_requests
            ],
        }
    )


async def list_cases(clients: ServiceClients, user: User, **params: Any) -> list[dict[str, Any]]:
    resp = await _get(clients.disputes, "/internal/v1/cases", user, **params)
    return _rows(_json(resp, "the disputes service"), "the disputes service")


async def start_case(clients: ServiceClients, user: User, intake: DisputeIntake) -> str:
    """Start the case through the disputes service (it knows the worker's task queue)."""
    try:
        resp = await clients.disputes.post(
            "/internal/v1/cases", json=intake.model_dump(mode="json"), headers=actor_headers(user)
        )
    except httpx.HTTPError as exc:
        raise _unavailable(exc, "the disputes service") from exc
    if resp.status_code == 422:
        _raise_field_error(resp)
    return str(_json(resp, "the disputes service")["case_id"])


def case_id_for(user: User, idempotency_key: str | None) -> str:
    """A retried create with the same Idempotency-Key starts the same case (a no-op)."""
    if not idempotency_key:
        return uuid.uuid4().hex[:16]
    return hashlib.sha256(f"{user.user_id}:{idempotency_key}".encode()).hexdigest()[:16]


def parse_action(action: str, payload: dict[str, Any]) -> BaseModel:
    """The action's strict input model (an unknown field is refused); raises KeyError for an
    unknown action, ValidationError."""
    return ACTIONS[action].model_validate(payload)


async def act(
    clients: ServiceClients,
    user: User,
    case_id: str,
    action: str,
    payload: BaseModel,
    idempotency_key: str | None,
) -> CaseView:
    """Perform through the disputes service (the workflow's update, bounded there). Raises
    ActionRefused (409), FieldError (422), HTTPException 404 / 503 (busy, and why)."""
    key = f"{user.user_id}:{idempotency_key or uuid.uuid4().hex}"
    body = {
        "actor": actor_of(user).model_dump(mode="json"),
        "idempotency_key": key,
        "payload": payload.model_dump(mode="json"),
    }
    try:
        resp = await clients.disputes.post(
            backend_path(f"/internal/v1/cases/{case_id}/actions/{action}"),
            json=body,
            headers=actor_headers(user),
        )
    except httpx.HTTPError as exc:
        raise _unavailable(exc, "the disputes service") from exc
    if resp.status_code == 404:
        raise HTTPException(status_code=404, detail="no such case")
    if resp.status_code == 409:
        raise ActionRefused(_detail(resp))
    if resp.status_code == 422:
        _raise_field_error(resp)
    if resp.status_code == 503:
        raise HTTPException(status_code=503, detail=_detail(resp), headers={"Retry-After": "5"})
    return CaseView.model_validate(_json(resp, "the disputes service"))


def _raise_field_error(resp: httpx.Response) -> None:
    """The service's 422 as the portal's one parser reads it (services/portal/backend.py)."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    raise Problems(problems_of(body))


# --- tasks ------------------------------------------------------------------------------------


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def task_order(task: TaskRead) -> tuple[int, datetime]:
    due = _aware(task.due_at) or datetime.max.replace(tzinfo=UTC)
    return (0 if task.overdue else 1, due)


async def _task_page(client: httpx.AsyncClient, user: User) -> TaskPage:
    """The user's tasks; an administrator also holds the county duty desk's (cases no officer
    accepted, escalated to the county)."""
    pages = []
    for assignee in (user.user_id, *((COUNTY_DESK,) if user.role == "admin" else ())):
        resp = await client.get(
            "/internal/v1/tasks", params={"assignee": assignee}, headers=actor_headers(user)
        )
        resp.raise_for_status()
        pages.append(TaskPage.model_validate(resp.json()))
    items = [t for p in pages for t in p.items]
    counts: dict[str, int] = {}
    for p in pages:
        for k, n in p.counts.items():
            counts[k] = counts.get(k, 0) + n
    return TaskPage(items=items, counts=counts)


async def merged_tasks(clients: ServiceClients, user: User) -> tuple[list[TaskRead], list[str]]:
    """The user's open tasks from every service that has them; the names of services that did
    not answer (their tasks are missing from the list)."""
    tasks: list[TaskRead] = []
    missing: list[str] = []
    for name, client in (("disputes", clients.disputes), ("appointments", clients.appointments)):
        try:
            tasks.extend((await _task_page(client, user)).items)
        except (httpx.HTTPError, ValidationError, ValueError) as exc:
            log.warning("disputes area: task list of %s unavailable: %s", name, exc)
            missing.append(name)
    tasks.sort(key=task_order)
    return tasks, missing


def filter_tasks(
    tasks: list[TaskRead], *, colour: str | None, village: str | None, kind: str | None
) -> list[TaskRead]:
    return [
        t
        for t in tasks
        if (not colour or t.colour == colour)
        and (not village or t.village_code == village)
        and (not kind or t.kind == kind)
    ]


def counts_by_kind(tasks: list[TaskRead]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.kind] = counts.get(t.kind, 0) + 1
    return counts


# --- directory, supervision, figures ----------------------------------------------------------


async def villages(
    clients: ServiceClients, user: User, station: str | None
) -> list[dict[str, Any]]:
    try:
        resp = await _get(
            clients.disputes, "/internal/v1/directory/villages", user, station=station
        )
        rows = _rows(_json(resp, "the directory"), "the directory")
    except (HTTPException, httpx.HTTPError, ValueError):
        return []
    return [r for r in rows if not station or r.get("station_code") in (None, station)]


async def officers(
    clients: ServiceClients, user: User, station: str | None
) -> list[dict[str, Any]]:
    try:
        resp = await _get(
            clients.disputes, "/internal/v1/directory/officers", user, station=station
        )
        return _rows(_json(resp, "the directory"), "the directory")
    except (HTTPException, httpx.HTTPError, ValueError):
        return []


def supervised_station(user: User) -> str | None:
    """The station a supervisor's board covers (None = all, for the county bureau's admin)."""
    return None if user.role == "admin" else user.station_code


async def stuck(clients: ServiceClients, user: User) -> list[dict[str, Any]]:
    rows, _ = await stuck_board(clients, user)
    return rows


async def stuck_board(
    clients: ServiceClients, user: User
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The board's rows, and whether a worker polls the disputes task queue (`workers`: None
    when the service could not tell)."""
    resp = await _get(
        clients.disputes, "/internal/v1/stuck", user, station=supervised_station(user)
    )
    data = _json(resp, "the stuck board")
    workers = data.get("workers") if isinstance(data, dict) else None
    return _rows(data, "the stuck board"), workers if isinstance(workers, dict) else None


async def retry(clients: ServiceClients, user: User, case_id: str, reason: str) -> None:
    try:
        resp = await clients.disputes.post(
            backend_path(f"/internal/v1/supervision/retry/{case_id}"),
            json={"reason": reason, "actor_id": user.user_id},
            headers=actor_headers(user),
        )
    except httpx.HTTPError as exc:
        raise _unavailable(exc, "the disputes service") from exc
    if resp.status_code == 404:
        raise HTTPException(status_code=404, detail="no such case")
    if resp.status_code == 409:
        raise ActionRefused(str(resp.json().get("detail", "retry refused")))
    _json(resp, "the disputes service")


async def figures(client: httpx.AsyncClient, user: User, **params: Any) -> dict[str, Any] | None:
    """A service's `GET /internal/v1/figures`, or None when it has none (or is down)."""
    try:
        resp = await client.get("/internal/v1/figures", params=params, headers=actor_headers(user))
        if resp.status_code != 200:
            return None
        data = resp.json()
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None
