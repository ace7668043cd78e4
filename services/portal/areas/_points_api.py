"""JSON API of the points area (/api/v1, bearer token): the same rules as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from services.portal.areas import _points_backend as pb
from services.portal.deps import Clients, CurrentUser, FieldError, User, require_roles
from shared.contracts.points import ChainRead, EntryRead, FiguresRead
from shared.tasks import assume_utc


class Problem(BaseModel):
    detail: str


api = APIRouter(
    prefix="/api/v1",
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {"model": Problem, "description": "wrong role, or outside your village/station"},
        404: {"model": Problem, "description": "unknown id"},
        409: {"model": Problem, "description": "refused: not enough points, used code, ..."},
        503: {"model": Problem, "description": "the points service is not available"},
    },
)
CREATED = status.HTTP_201_CREATED

Resident = Annotated[User, Depends(require_roles("resident", "group_leader"))]
Leader = Annotated[User, Depends(require_roles("group_leader"))]
Officer = Annotated[User, Depends(require_roles("officer", "station_chief"))]
Clerk = Annotated[User, Depends(require_roles("clerk"))]
Admin = Annotated[User, Depends(require_roles("admin"))]
Key = Field(
    default_factory=pb.new_key,
    min_length=8,
    max_length=128,
    description="send the same key again to retry safely; another body with it is refused",
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatrolIn(_In):
    group_code: str = Field(min_length=1, max_length=16)
    member_ids: list[str] = Field(min_length=1, max_length=50)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    notes: str = Field(default="", max_length=2000)
    idempotency_key: str = Key


class TipIn(_In):
    text: str = Field(min_length=5, max_length=4000)
    idempotency_key: str = Key


class RatingIn(_In):
    rating: Literal["useful", "led_to_case", "not_useful"]


class RedemptionIn(_In):
    code: str = Field(pattern=r"^\d{8}$", description="the resident's one-time code")
    item_id: str = Field(min_length=1, max_length=36)
    quantity: int = Field(default=1, ge=1, le=50)
    idempotency_key: str = Key


class AdjustIn(_In):
    account_id: str = Field(min_length=1, max_length=64)
    amount: int = Field(
        ge=-100_000,
        le=100_000,
        description="points to add (negative: to take away), never 0",
        json_schema_extra={"not": {"const": 0}},
    )
    reason: str = Field(min_length=2, max_length=500)
    idempotency_key: str = Key

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("must not be zero")
        return amount


class ReverseIn(_In):
    reason: str = Field(min_length=2, max_length=500)
    idempotency_key: str = Key


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")

    _utc = field_validator("*")(assume_utc)


class AccountOut(_Out):
    account_id: str
    display_name: str
    balance: int
    held: int


class EntryOut(_Out):
    id: str
    kind: str = Field(description="earn, redeem, hold, release, reverse, expire or adjust")
    amount: int
    balance_after: int
    reason_kind: str = Field(description="mediation, patrol, tip, screening, redemption, ...")
    reason: str
    created_at: datetime


class PointsMe(_Out):
    account: AccountOut
    entries: list[EntryOut]


class CodeOut(_Out):
    code: str
    expires_at: datetime


class ItemOut(_Out):
    id: str
    village_code: str
    shop: str
    name: str
    picture: str
    price: int
    stock: int


class PatrolMemberOut(_Out):
    user_id: str
    minutes: int
    points: int = Field(description="pending points before the co-sign, posted points after")


class PatrolOut(_Out):
    id: str
    group_code: str
    village_code: str
    started_at: datetime
    ended_at: datetime
    hours: float
    status: str
    cosigned_by: str | None
    members: list[PatrolMemberOut]


class TipOut(_Out):
    id: str
    status: str
    rating: str | None = None
    points: int = 0
    created_at: datetime


class ReceiptOut(_Out):
    id: str
    receipt_no: str
    display_name: str
    item_id: str
    item_name: str
    quantity: int
    points: int
    balance_after: int
    status: str
    created_at: datetime


@api.get("/points/me")
async def points_me(user: CurrentUser, clients: Clients) -> PointsMe:
    """Balance and history of the caller (earned for what, spent on what)."""
    return PointsMe.model_validate(await pb.account(clients, user), from_attributes=True)


@api.post("/points/me/codes", status_code=CREATED)
async def points_code(user: Resident, clients: Clients) -> CodeOut:
    """A one-time redemption code to show at the love supermarket counter."""
    return CodeOut.model_validate(await pb.issue_code(clients, user), from_attributes=True)


@api.get("/supermarket/items")
async def supermarket_items(
    user: CurrentUser, clients: Clients, village_code: str | None = None
) -> list[ItemOut]:
    """The catalogue of a village shop (the caller's own village by default: 422 names
    `village_code` when the caller has none and gives none)."""
    village = village_code or user.village_code
    if not village:
        raise FieldError("village_code", "give a village code")
    return [
        ItemOut.model_validate(i, from_attributes=True)
        for i in await pb.items(clients, user, village)
    ]


@api.post("/patrols", status_code=CREATED)
async def log_patrol(body: PatrolIn, user: Leader, clients: Clients) -> PatrolOut:
    """A group leader logs a shift; points stay pending until an officer co-signs. 422 names
    `group_code` when it is not one of the leader's groups."""
    groups = {g.code: g for g in await pb.my_groups(clients, user)}
    if body.group_code not in groups:
        raise FieldError("group_code", "not one of your groups")
    payload = body.model_dump(mode="json")
    payload["village_code"] = groups[body.group_code].village_code
    return PatrolOut.model_validate(
        await pb.log_patrol(clients, user, payload), from_attributes=True
    )


@api.post("/patrols/{patrol_id}/cosign")
async def cosign_patrol(patrol_id: str, user: Officer, clients: Clients) -> PatrolOut:
    """An officer co-signs: the members' points post, capped per person and day."""
    return PatrolOut.model_validate(await pb.cosign(clients, user, patrol_id), from_attributes=True)


@api.post("/tips", status_code=CREATED)
async def submit_tip(
    body: TipIn,
    user: Annotated[User, Depends(require_roles("resident"))],
    clients: Clients,
) -> TipOut:
    """A resident's crime tip; it stays private to the officers who rate it."""
    return TipOut.model_validate(
        await pb.submit_tip(clients, user, body.text, body.idempotency_key), from_attributes=True
    )


@api.post("/tips/{tip_id}/rate")
async def rate_tip(tip_id: str, body: RatingIn, user: Officer, clients: Clients) -> TipOut:
    """An officer rates a tip; points are credited by the rating."""
    return TipOut.model_validate(
        await pb.rate_tip(clients, user, tip_id, body.rating), from_attributes=True
    )


@api.post("/redemptions", status_code=CREATED)
async def redeem(body: RedemptionIn, user: Clerk, clients: Clients) -> ReceiptOut:
    """The clerk redeems a resident's one-time code for goods of their shop: the receipt."""
    receipt = await pb.redeem(
        clients,
        user,
        code=body.code,
        item_id=body.item_id,
        quantity=body.quantity,
        key=body.idempotency_key,
    )
    return ReceiptOut.model_validate(receipt, from_attributes=True)


@api.post("/points/adjustments", status_code=CREATED)
async def adjust(body: AdjustIn, user: Admin, clients: Clients) -> dict[str, Any]:
    """An administrator's correction of a balance, with a reason."""
    entry = await pb.call(
        clients,
        "POST",
        f"/accounts/{body.account_id}/adjustments",
        user,
        EntryRead,
        json={
            "amount": body.amount,
            "reason": body.reason,
            "actor_id": user.user_id,
            "idempotency_key": body.idempotency_key,
        },
    )
    return entry.model_dump(mode="json")


@api.post("/points/entries/{entry_id}/reverse", status_code=CREATED)
async def reverse(entry_id: str, body: ReverseIn, user: Admin, clients: Clients) -> dict[str, Any]:
    """Reverse a wrong entry (never deleted), with a reason."""
    entry = await pb.call(
        clients,
        "POST",
        f"/entries/{entry_id}/reverse",
        user,
        EntryRead,
        json={**body.model_dump(), "actor_id": user.user_id},
    )
    return entry.model_dump(mode="json")


@api.get("/points/chain")
async def verify_chain(user: Admin, clients: Clients) -> dict[str, Any]:
    """Recompute the ledger's hash chain: `ok` false and the problems if a row was tampered."""
    chain = await pb.call(clients, "GET", "/chain/verify", user, ChainRead)
    return chain.model_dump(mode="json")


@api.get("/points/figures")
async def figures(
    user: Annotated[User, Depends(require_roles("station_chief", "admin"))], clients: Clients
) -> dict[str, Any]:
    """Leaderboards by village and group, points issued and redeemed per month, patrol hours."""
    data = await pb.call(clients, "GET", "/figures", user, FiguresRead)
    return data.model_dump(mode="json")
