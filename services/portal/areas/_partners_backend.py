"""The partner area's calls to the disputes service, which owns the partner organisations and
the cases: an organisation's requests, a case as it sees it, and an answer given through the
case's workflow (`partner-reply`, acted by the partner's member, not by an officer).

The organisation always comes from the account (`User.partner_code`), never from the request.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
from fastapi import HTTPException

from services.portal.deps import FieldError, ServiceClients, User, actor_headers, backend_path
from shared.linkage import LinkagePage, PartnerCaseRead, PartnerOrgRead

log = logging.getLogger("fengqiao.portal.partners")


class Refused(Exception):
    """The answer was refused (already answered, or by the case's workflow); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _unavailable(exc: Exception) -> HTTPException:
    log.warning("partners area: the disputes service is unavailable: %s", exc)
    return HTTPException(status_code=503, detail="the disputes service is not available right now")


def _code(user: User) -> str:
    if not user.partner_code:
        raise HTTPException(status_code=403, detail="this account belongs to no organisation")
    return user.partner_code


def _detail(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text
    return str(data.get("reason") or data.get("detail") or resp.text)


async def _get(clients: ServiceClients, user: User, path: str, **params: Any) -> Any:
    try:
        resp = await clients.disputes.get(
            backend_path(path), params=params, headers=actor_headers(user)
        )
    except httpx.HTTPError as exc:
        raise _unavailable(exc) from exc
    if resp.status_code in (403, 404):
        raise HTTPException(status_code=resp.status_code, detail=_detail(resp))
    if resp.status_code >= 400:
        raise _unavailable(RuntimeError(f"answered {resp.status_code}"))
    return resp.json()


async def requests(clients: ServiceClients, user: User, *, include_closed: bool) -> LinkagePage:
    data = await _get(
        clients,
        user,
        f"/internal/v1/partners/{_code(user)}/tasks",
        include_closed=str(include_closed).lower(),
    )
    return LinkagePage.model_validate(data)


async def linked_case(clients: ServiceClients, user: User, case_id: str) -> PartnerCaseRead:
    """The case, or 404 (unknown) / 403 (not linked to the user's organisation)."""
    data = await _get(clients, user, f"/internal/v1/partners/{_code(user)}/cases/{case_id}")
    return PartnerCaseRead.model_validate(data)


async def organisations(
    clients: ServiceClients, user: User, *, village: str | None, station: str | None
) -> list[PartnerOrgRead]:
    """The organisations serving a village (for the officer's link-partner form); [] if the
    directory does not answer (the form then offers the kinds only)."""
    try:
        data = await _get(
            clients, user, "/internal/v1/directory/partners", village=village, station=station
        )
    except HTTPException:
        return []
    return [PartnerOrgRead.model_validate(x) for x in data if isinstance(x, dict)]


def partner_actor(user: User) -> dict[str, str]:
    """The actor the disputes service records: the person, as a member of their organisation."""
    return {
        "user_id": user.user_id,
        "role": "partner",
        "partner_code": _code(user),
        "display_name": user.display_name,
    }


async def reply(
    clients: ServiceClients,
    user: User,
    case_id: str,
    *,
    request_id: str,
    answer: str,
    idempotency_key: str | None,
) -> PartnerCaseRead:
    """Answer one of the organisation's open requests on the case. 404 when the request is not
    one of them; Refused (409) with the workflow's reason; FieldError (422)."""
    case = await linked_case(clients, user, case_id)
    asked = next((r for r in case.requests if r.request_id == request_id), None)
    if asked is None:
        raise FieldError("request_id", "no request of this case was sent to your organisation")
    if not asked.open:
        if asked.answered_by == user.user_id and asked.answer == answer:
            return case  # a retry of the answer already recorded
        raise Refused("this request was already answered or closed")
    body = {
        "actor": partner_actor(user),
        "idempotency_key": f"{user.user_id}:{idempotency_key or uuid.uuid4().hex}",
        "payload": {"request_id": request_id, "answer": answer},
    }
    try:
        resp = await clients.disputes.post(
            backend_path(f"/internal/v1/cases/{case_id}/actions/partner-reply"),
            json=body,
            headers=actor_headers(user),
        )
    except httpx.HTTPError as exc:
        raise _unavailable(exc) from exc
    if resp.status_code in (403, 404):
        raise HTTPException(status_code=resp.status_code, detail=_detail(resp))
    if resp.status_code == 409:
        raise Refused(_detail(resp))
    if resp.status_code == 422:
        raise FieldError("answer", _field_reason(resp))
    if resp.status_code == 503:
        raise HTTPException(status_code=503, detail=_detail(resp), headers={"Retry-After": "5"})
    if resp.status_code >= 400:
        raise _unavailable(RuntimeError(f"answered {resp.status_code}"))
    return await linked_case(clients, user, case_id)


def _field_reason(resp: httpx.Response) -> str:
    detail = resp.json().get("detail")
    if isinstance(detail, list) and detail:
        return str(detail[0].get("msg", "invalid"))
    return str(detail or "invalid")
