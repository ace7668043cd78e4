"""The disputes area's repair calls: reconciliation and terminate, through the disputes
service's internal API (for the station chief and the administrator)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import HTTPException

from services.portal.areas._disputes_backend import (
    ActionRefused,
    _detail,
    _json,
    _raise_field_error,
    _unavailable,
    supervised_station,
)
from services.portal.deps import ServiceClients, User, actor_headers, backend_path


async def _repair_post(clients: ServiceClients, user: User, path: str, body: dict[str, Any]) -> Any:
    try:
        resp = await clients.disputes.post(
            backend_path(path), json={**body, "actor_id": user.user_id}, headers=actor_headers(user)
        )
    except httpx.HTTPError as exc:
        raise _unavailable(exc, "the disputes service") from exc
    if resp.status_code == 404:
        raise HTTPException(status_code=404, detail="no such case")
    if resp.status_code == 409:
        raise ActionRefused(_detail(resp))
    if resp.status_code == 422:
        _raise_field_error(resp)
    return _json(resp, "the disputes service")


async def reconcile(clients: ServiceClients, user: User) -> dict[str, Any]:
    """Compare the supervisor's open case rows with their workflows; the repairs made."""
    data = await _repair_post(
        clients, user, "/internal/v1/supervision/reconcile", {"station": supervised_station(user)}
    )
    return dict(data)


async def terminate(clients: ServiceClients, user: User, case_id: str, reason: str) -> None:
    """End the case's workflow with the reason; its row and tasks close (the service audits it
    and writes the timeline entry)."""
    await _repair_post(
        clients, user, f"/internal/v1/supervision/terminate/{case_id}", {"reason": reason}
    )


REPAIRS = ("pause", "resume", "reset")


async def repair_case(
    clients: ServiceClients, user: User, name: str, case_id: str, reason: str
) -> dict[str, Any]:
    """pause / resume the case's failing activity, or reset its workflow to the last good
    point (the service audits it)."""
    data = await _repair_post(
        clients, user, f"/internal/v1/supervision/repair/{name}/{case_id}", {"reason": reason}
    )
    return dict(data)
