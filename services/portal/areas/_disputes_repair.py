"""The disputes area's repair calls: reconciliation and terminate, through the disputes
service's internal API (for the station chief and the administrator)."""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException

from services.portal.areas._disputes_backend import call, refused, supervised_station
from services.portal.deps import ServiceClients, User
from shared.contracts.disputes_read import ReconcileRead, RepairRead

T = TypeVar("T")


async def _repair_post(
    clients: ServiceClients, user: User, path: str, body: dict[str, str | None], answer: type[T]
) -> T:
    """404 no such case, ActionRefused (409), Problems (422), 503."""
    try:
        return await call(
            clients, user, "POST", path, answer, json={**body, "actor_id": user.user_id}
        )
    except HTTPException as exc:
        raise refused(exc) from None


async def reconcile(clients: ServiceClients, user: User) -> ReconcileRead:
    """Compare the supervisor's open case rows with their workflows; the repairs made."""
    body = {"station": supervised_station(user)}
    return await _repair_post(clients, user, "/supervision/reconcile", body, ReconcileRead)


async def terminate(clients: ServiceClients, user: User, case_id: str, reason: str) -> None:
    """End the case's workflow with the reason; its row and tasks close (the service audits it
    and writes the timeline entry)."""
    path = f"/supervision/terminate/{case_id}"
    await _repair_post(clients, user, path, {"reason": reason}, ReconcileRead)


REPAIRS = ("pause", "resume", "reset")


async def repair_case(
    clients: ServiceClients, user: User, name: str, case_id: str, reason: str
) -> RepairRead:
    """pause / resume the case's failing activity, or reset its workflow to the last good
    point (the service audits it)."""
    path = f"/supervision/repair/{name}/{case_id}"
    return await _repair_post(clients, user, path, {"reason": reason}, RepairRead)
