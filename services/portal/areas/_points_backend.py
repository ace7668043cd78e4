"""The points area's access to the points service (no routes here).

Pages (`points.py`) and the JSON API (`_points_api.py`) share these calls. The points service
trusts the ids it is given, so every scope rule is applied here first: a resident only ever
reaches their own account, a clerk only their own village's shop, a leader only their groups.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from fastapi import HTTPException

from services.portal.backend import ServiceCall
from services.portal.deps import FieldError, ServiceClients, User
from shared.contracts.points import (
    AccountRead,
    CodeRead,
    GroupRead,
    HistoryRead,
    ItemRead,
    PatrolRead,
    RedemptionRead,
    TipRead,
)

T = TypeVar("T")
STAFF = ("officer", "station_chief", "admin")
RATINGS = ("useful", "led_to_case", "not_useful")
RATING_LABELS = {"useful": "Useful", "led_to_case": "Led to a case", "not_useful": "Not useful"}
# what a resident reads for each entry (why points came or went), never shown to the clerk
REASON_LABELS = {
    "mediation": "Helped settle a dispute",
    "follow_up": "Helped with a follow-up",
    "screening": "Report that led to a case",
    "patrol": "Volunteer patrol",
    "tip": "Crime tip",
    "redemption": "Love supermarket",
    "adjustment": "Adjustment",
    "expiry": "Expired",
}
KIND_LABELS = {
    "earn": "Earned",
    "redeem": "Spent",
    "hold": "Held",
    "release": "Released",
    "reverse": "Reversed",
    "expire": "Expired",
    "adjust": "Adjusted",
}
STATUS_LABELS = {
    "pending": "Waiting for co-sign",
    "cosigned": "Co-signed",
    "submitted": "Submitted",
    "rated": "Rated",
    "completed": "Completed",
    "held": "Held",
    "voided": "Voided",
}


def new_key() -> str:
    return uuid.uuid4().hex


# one call to the service, its answer as the shared contract model; its refusals become the
# portal's 4xx with the reason (services/portal/backend.py)
call = ServiceCall("points")


async def account(clients: ServiceClients, user: User) -> HistoryRead:
    return await call(clients, "GET", f"/accounts/{user.user_id}/history", user, HistoryRead)


async def issue_code(clients: ServiceClients, user: User) -> CodeRead:
    return await call(clients, "POST", f"/accounts/{user.user_id}/codes", user, CodeRead)


async def items(clients: ServiceClients, user: User, village_code: str | None) -> list[ItemRead]:
    params = {"village_code": village_code}
    return await call(clients, "GET", "/items", user, list[ItemRead], params=params)


async def my_groups(clients: ServiceClients, user: User) -> list[GroupRead]:
    params = {"leader_id": user.user_id} if user.role == "group_leader" else {}
    return await call(clients, "GET", "/groups", user, list[GroupRead], params=params)


def station_of(user: User) -> str:
    """Officers and chiefs act on their own station's villages only."""
    if not user.station_code:
        raise HTTPException(403, "your account is not attached to a police station")
    return user.station_code


async def patrols(
    clients: ServiceClients, user: User, *, status: str | None, groups: list[str] | None
) -> list[PatrolRead]:
    params: dict[str, Any] = {"status": status}
    if user.role in STAFF:
        params["station_code"] = station_of(user)
    if groups is not None:
        if not groups:
            return []
        params["group_code"] = groups
    return await call(clients, "GET", "/patrols", user, list[PatrolRead], params=params)


async def log_patrol(clients: ServiceClients, user: User, body: dict[str, Any]) -> PatrolRead:
    body = {**body, "leader_id": user.user_id}
    return await call(clients, "POST", "/patrols", user, PatrolRead, json=body)


async def cosign(clients: ServiceClients, user: User, patrol_id: str) -> PatrolRead:
    return await call(
        clients,
        "POST",
        f"/patrols/{patrol_id}/cosign",
        user,
        PatrolRead,
        json={"officer_id": user.user_id, "station_code": station_of(user)},
    )


async def submit_tip(clients: ServiceClients, user: User, text: str, key: str) -> TipRead:
    body = {
        "tipster_id": user.user_id,
        "village_code": user.village_code,
        "text": text,
        "idempotency_key": key,
    }
    return await call(clients, "POST", "/tips", user, TipRead, json=body)


async def tips(
    clients: ServiceClients, user: User, *, status: str | None = None, mine: bool = False
) -> list[TipRead]:
    params = {
        "status": status,
        "tipster_id": user.user_id if mine else None,
        "station_code": None if mine else station_of(user),
    }
    return await call(clients, "GET", "/tips", user, list[TipRead], params=params)


async def rate_tip(clients: ServiceClients, user: User, tip_id: str, rating: str) -> TipRead:
    if rating not in RATINGS:
        raise FieldError("rating", f"one of {', '.join(RATINGS)}")
    return await call(
        clients,
        "POST",
        f"/tips/{tip_id}/rate",
        user,
        TipRead,
        json={"officer_id": user.user_id, "rating": rating, "station_code": station_of(user)},
    )


def require_shop(user: User) -> str:
    if not user.village_code:
        raise HTTPException(403, "this clerk account is not attached to a village shop")
    return user.village_code


async def redeem(
    clients: ServiceClients, user: User, *, code: str, item_id: str, quantity: int, key: str
) -> RedemptionRead:
    body = {
        "code": code,
        "item_id": item_id,
        "quantity": quantity,
        "clerk_id": user.user_id,
        "idempotency_key": key,
    }
    return await call(
        clients,
        "POST",
        "/redemptions",
        user,
        RedemptionRead,
        json=body,
        params={"clerk_village": require_shop(user)},
    )


async def code_holder(clients: ServiceClients, user: User, code: str) -> dict[str, Any]:
    data = await call(clients, "GET", f"/codes/{code}", user, AccountRead)
    # the clerk sees who is at the counter and what they can spend, nothing about why
    return {"display_name": data.display_name, "balance": data.balance, "code": code}
