"""The disputes area's access to the backends: the disputes service's internal API (which
owns the workflows: the portal holds no Temporal client for disputes). Every answer is read
into its shared model (shared/contracts/disputes_read.py, shared/contracts/disputes.py,
shared/tasks.py) by the portal's one backend client (`call`, services/portal/backend.py).

No routes here. Pages (`disputes.py`, `disputes_supervision.py`) and the JSON API
(`disputes_api.py`) share these calls, the scope rules and the view models.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any, TypeVar

import httpx
from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from services.portal.areas._disputes_models import CaseDetail, PartnerRequestOut
from services.portal.backend import Problems, call_service, problems_of
from services.portal.deps import (
    ServiceClients,
    User,
    actor_headers,
    audit,
    backend_path,
)
from shared.contracts.disputes import ACTIONS, Actor, CaseView, DisputeIntake
from shared.contracts.disputes_read import (
    CaseRead,
    CaseStarted,
    CaseSummary,
    Figures,
    OfficerRead,
    RetryRead,
    StuckBoard,
    VillageRead,
)
from shared.stages import LIVE_STAGES

log = logging.getLogger("fengqiao.portal.disputes")

STAFF_ROLES = ("officer", "station_chief", "admin")
SUPERVISORS = ("station_chief", "admin")
OPEN_STAGES = LIVE_STAGES  # the workflow still runs and answers queries (shared.stages)
UNAVAILABLE = "the disputes service is not available right now"
T = TypeVar("T")


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


async def call(
    clients: ServiceClients,
    user: User,
    method: str,
    path: str,
    answer: type[T],
    *,
    json: Any = None,
    **params: Any,
) -> T:
    """The disputes service's answer as its shared model (services/portal/backend.py): 4xx
    with the service's reason, 422 with every field, 503 when it is down or out of step."""
    return await call_service(
        clients.disputes, UNAVAILABLE, method, path, user, answer=answer, json=json, params=params
    )


def refused(exc: HTTPException) -> Exception:
    """A 409 of the service is a refusal the page shows (ActionRefused), a 404 no such case;
    anything else stays as it is."""
    if exc.status_code == 409:
        return ActionRefused(str(exc.detail))
    if exc.status_code == 404:
        return HTTPException(status_code=404, detail="no such case")
    return exc


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
    try:
        case = CaseDetail.of(await call(clients, user, "GET", f"/cases/{case_id}", CaseRead))
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        # Not (yet) in the service's tables: a case whose registration is still running.
        case = await _from_workflow(clients, user, case_id)
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
        if v.code == case.village_code:
            update["village_name"] = v.name
    if case.assignee_id and not case.assignee_name:
        for o in await officers(clients, user, case.station_code):
            if o.user_id == case.assignee_id:
                update["assignee_name"] = o.name
    return case.model_copy(update=update)


async def live_view(clients: ServiceClients, user: User, case_id: str) -> CaseView:
    """The case as its workflow holds it, asked of the disputes service (which owns the
    workflows; the portal has no Temporal client for disputes). 404 / 409 / 503."""
    return await call(clients, user, "GET", f"/cases/{case_id}/live", CaseView)


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
                PartnerRequestOut.model_validate(p, from_attributes=True)
                for p in live.partner_requests
            ],
        }
    )


async def list_cases(clients: ServiceClients, user: User, **params: Any) -> list[CaseSummary]:
    return await call(clients, user, "GET", "/cases", list[CaseSummary], **params)


async def start_case(clients: ServiceClients, user: User, intake: DisputeIntake) -> str:
    """Start the case through the disputes service (it knows the worker's task queue)."""
    body = intake.model_dump(mode="json")
    return (await call(clients, user, "POST", "/cases", CaseStarted, json=body)).case_id


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
    if resp.status_code >= 400:
        log.warning("disputes area: an action answered %s", resp.status_code)
        raise HTTPException(status_code=503, detail=UNAVAILABLE)
    try:
        return CaseView.model_validate(resp.json())
    except (ValidationError, ValueError) as exc:  # out of step with the contract
        raise _unavailable(exc, "the disputes service") from exc


def _raise_field_error(resp: httpx.Response) -> None:
    """The service's 422 as the portal's one parser reads it (services/portal/backend.py)."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    raise Problems(problems_of(body))


# --- directory, supervision, figures ----------------------------------------------------------


async def villages(clients: ServiceClients, user: User, station: str | None) -> list[VillageRead]:
    """The directory's villages (of `station`); none when the directory cannot answer."""
    try:
        rows = await call(
            clients, user, "GET", "/directory/villages", list[VillageRead], station=station
        )
    except HTTPException:
        return []
    return [r for r in rows if not station or r.station_code == station]


async def officers(clients: ServiceClients, user: User, station: str | None) -> list[OfficerRead]:
    """The directory's active officers (of `station`); none when it cannot answer."""
    try:
        return await call(
            clients, user, "GET", "/directory/officers", list[OfficerRead], station=station
        )
    except HTTPException:
        return []


def supervised_station(user: User) -> str | None:
    """The station a supervisor's board covers (None = all, for the county bureau's admin)."""
    return None if user.role == "admin" else user.station_code


async def stuck(clients: ServiceClients, user: User) -> StuckBoard:
    return await call(clients, user, "GET", "/stuck", StuckBoard, station=supervised_station(user))


async def retry(clients: ServiceClients, user: User, case_id: str, reason: str) -> RetryRead:
    """Retry the case's failing activity now: 404 (no such case), ActionRefused (nothing
    waits to be retried)."""
    body = {"reason": reason, "actor_id": user.user_id}
    try:
        return await call(
            clients, user, "POST", f"/supervision/retry/{case_id}", RetryRead, json=body
        )
    except HTTPException as exc:
        raise refused(exc) from None


async def dispute_figures(clients: ServiceClients, user: User, **params: Any) -> Figures | None:
    """The disputes service's figures, or None when it cannot answer."""
    try:
        return await call(clients, user, "GET", "/figures", Figures, **params)
    except HTTPException:
        return None
