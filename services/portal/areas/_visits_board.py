"""Door-to-door visits on the supervisors' stuck board: the appointments service's board rows
and its repairs (retry now, terminate with a reason), over its internal API (no routes here).

A station chief sees and repairs the visits of their own station; the administrator all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict

from services.portal.areas import _appointments_backend as ab
from services.portal.deps import ServiceClients, User
from shared.contracts.appointments import HomeVisitRead

BOARD = "/supervision/home-visits"
VISIT_REPAIRS = ("retry", "terminate")


class VisitRow(BaseModel):
    """One door-to-door visit on the board. `code`: overdue | activity | workflow_task."""

    model_config = ConfigDict(extra="ignore")
    visit_id: str
    kind: str  # business | technical
    code: str
    why: str = ""
    stage: str | None = None
    station_code: str | None = None
    assignee_id: str | None = None
    village_code: str | None = None
    service_code: str | None = None
    deadline: datetime | None = None
    since: datetime | None = None
    escalated: bool = False
    activity: str | None = None
    attempts: int | None = None
    last_failure: str | None = None


class VisitBoard(BaseModel):
    items: list[VisitRow]
    technical_checked: bool = True
    # None when the appointments service answered; else why its visits are missing here
    unavailable: str | None = None


def _station(user: User) -> str | None:
    return None if user.role == "admin" else user.station_code


async def board(clients: ServiceClients, user: User) -> VisitBoard:
    """The supervisor's visits; an appointments service that does not answer leaves the rest of
    the board working (`unavailable` says why)."""
    try:
        return await ab.call(
            clients, "GET", BOARD, user, VisitBoard, params={"station": _station(user)}
        )
    except HTTPException as exc:
        if exc.status_code != 503:
            raise
        return VisitBoard(items=[], technical_checked=False, unavailable=str(exc.detail))


async def _in_scope(clients: ServiceClients, user: User, visit_id: str) -> None:
    """404 (no such visit) / 403 (another station's) before acting. A workflow whose visit the
    desk has no record of (restored from an older backup) is in scope where the board shows it:
    its station is the one its workflow was assigned to."""
    try:
        visit = await ab.call(clients, "GET", f"/home-visits/{visit_id}", user, HomeVisitRead)
    except HTTPException as exc:
        if exc.status_code != 404:
            raise
        rows = [r for r in (await board(clients, user)).items if r.visit_id == visit_id]
        if not rows or rows[0].kind != "technical":
            raise
        ab.check_scope(user, rows[0].station_code)
        return
    ab.check_scope(user, visit.station_code)


async def repair(
    clients: ServiceClients, user: User, name: str, visit_id: str, reason: str
) -> dict[str, Any]:
    """retry | terminate; the service audits it. Refusals come back as 404 / 409 / 422 / 503."""
    if name not in VISIT_REPAIRS:
        raise HTTPException(404, f"no repair {name!r}")
    await _in_scope(clients, user, visit_id)
    done: dict[str, Any] = await ab.call(
        clients,
        "POST",
        f"{BOARD}/{visit_id}/{name}",
        user,
        dict[str, Any],
        json={"actor_id": user.user_id, "reason": reason},
    )
    return done


async def reconcile(clients: ServiceClients, user: User) -> dict[str, Any]:
    """The board's reconcile button, for visits: open visit rows compared with their workflows
    (the service closes the drifted ones). An appointments service that does not answer leaves
    the disputes half working (`unavailable` says why)."""
    try:
        done: dict[str, Any] = await ab.call(
            clients,
            "POST",
            f"{BOARD}/reconcile",
            user,
            dict[str, Any],
            json={"actor_id": user.user_id, "station": _station(user)},
        )
    except HTTPException as exc:
        if exc.status_code != 503:
            raise
        return {"checked": 0, "repaired": [], "unavailable": str(exc.detail)}
    return done
