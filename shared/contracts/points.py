"""The points service's HTTP contract (XCreate / XUpdate / XRead): what its clients (the portal)
send and read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Key = Field(min_length=8, max_length=128, description="client-chosen idempotency key")
UserId = Field(min_length=1, max_length=64)
Rating = Literal["not_useful", "useful", "led_to_case"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AccountRead(BaseModel):
    account_id: str
    display_name: str
    village_code: str | None
    balance: int
    held: int
    version: int


class EntryRead(BaseModel):
    id: str
    kind: str
    amount: int
    balance_after: int
    reason_kind: str
    reason: str
    ref: str
    reverses_id: str | None
    created_at: datetime
    rules_version: int | None = Field(
        default=None, description="the earning rules version an award was priced by"
    )


class HistoryRead(BaseModel):
    account: AccountRead
    entries: list[EntryRead]


class AdjustCreate(_In):
    amount: int = Field(
        ge=-100_000, le=100_000, description="positive credits, negative debits; never zero"
    )
    reason: str = Field(min_length=2, max_length=500)
    actor_id: str = UserId
    idempotency_key: str = Key

    @model_validator(mode="after")
    def _nonzero(self) -> AdjustCreate:
        if self.amount == 0:
            raise ValueError("amount must not be zero")
        return self


class ReverseCreate(_In):
    reason: str = Field(min_length=2, max_length=500)
    actor_id: str = UserId
    idempotency_key: str = Key


class MemberRead(BaseModel):
    user_id: str
    display_name: str


class MemberAdd(_In):
    user_id: str = UserId
    display_name: str = Field(default="", max_length=128)


class GroupRead(BaseModel):
    code: str
    name: str
    village_code: str
    leader_id: str
    members: list[MemberRead]
    total_points: int


class PatrolCreate(_In):
    group_code: str = Field(min_length=1, max_length=16)
    leader_id: str = UserId
    member_ids: list[str] = Field(min_length=1, max_length=50)
    village_code: str = Field(min_length=1, max_length=16)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    notes: str = Field(default="", max_length=2000)
    idempotency_key: str = Key

    @model_validator(mode="after")
    def _times(self) -> PatrolCreate:
        if self.ended_at <= self.started_at:
            raise ValueError("ended_at must be after started_at")
        if self.ended_at - self.started_at > timedelta(hours=24):
            raise ValueError("a patrol shift cannot last more than 24 hours")
        if len(set(self.member_ids)) != len(self.member_ids):
            raise ValueError("member_ids has duplicates")
        return self


class PatrolMemberRead(BaseModel):
    user_id: str
    minutes: int
    points: int


class PatrolRead(BaseModel):
    id: str
    group_code: str
    leader_id: str
    village_code: str
    started_at: datetime
    ended_at: datetime
    hours: float
    notes: str
    status: str
    cosigned_by: str | None
    members: list[PatrolMemberRead]


class PatrolCosign(_In):
    officer_id: str = UserId
    station_code: str | None = Field(default=None, description="refuse patrols outside it")


class TipCreate(_In):
    tipster_id: str = UserId
    village_code: str | None = Field(default=None, max_length=16)
    text: str = Field(min_length=5, max_length=4000)
    idempotency_key: str = Key


class TipRead(BaseModel):
    id: str
    tipster_id: str
    village_code: str | None
    text: str
    status: str
    rating: str | None
    points: int
    created_at: datetime


class TipRate(_In):
    officer_id: str = UserId
    rating: Rating
    station_code: str | None = Field(default=None, description="refuse tips outside it")


class ItemCreate(_In):
    village_code: str = Field(min_length=1, max_length=16)
    shop: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=128)
    picture: str = Field(default="", max_length=20000)
    price: int = Field(gt=0, le=100000)
    stock: int = Field(ge=0, le=100000)


class ItemRead(BaseModel):
    id: str
    village_code: str
    shop: str
    name: str
    picture: str
    price: int
    stock: int


class StockItemRead(ItemRead):
    low_at: int = Field(description="the group leader is told when the stock falls to this")
    low: bool = Field(description="at or below the mark")


class ItemChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    price: int | None = Field(default=None, gt=0, le=100000, description="points")
    low_at: int | None = Field(default=None, ge=0, le=100000)


class StockUpdate(_In):
    delta: int = Field(ge=-100000, le=100000, description="added to the stock (negative removes)")
    actor_id: str = UserId


class CodeRead(BaseModel):
    code: str
    expires_at: datetime


class RedemptionCreate(_In):
    code: str = Field(min_length=4, max_length=16)
    item_id: str = Field(min_length=1, max_length=36)
    quantity: int = Field(default=1, ge=1, le=50)
    clerk_id: str = UserId
    hold: bool = Field(default=False, description="hold the points until the goods are handed over")
    idempotency_key: str = Key


class RedemptionRead(BaseModel):
    """The receipt: what the clerk and the resident see; never why points were earned."""

    id: str
    receipt_no: str
    account_id: str
    display_name: str
    item_id: str
    item_name: str
    quantity: int
    points: int
    balance_after: int
    status: str
    clerk_id: str
    created_at: datetime
    hold_expires_at: datetime | None


class DailyList(BaseModel):
    day: str
    clerk_id: str
    redemptions: list[RedemptionRead]
    total_points: int
    total_items: int


class ChainRead(BaseModel):
    ok: bool
    accounts: int
    entries: int
    problems: list[str]


class LeaderRow(BaseModel):
    key: str
    name: str
    points: int


class MonthRow(BaseModel):
    month: str
    issued: int
    redeemed: int


class HoursRow(BaseModel):
    key: str
    hours: float


class FiguresRead(BaseModel):
    villages: list[LeaderRow]
    groups: list[LeaderRow]
    months: list[MonthRow]
    patrol_hours: float
    patrol_hours_by_group: list[HoursRow]


class MaintenanceRead(BaseModel):
    expired_entries: int
    expired_points: int
    voided_holds: int


class HandOver(_In):
    clerk_id: str = UserId


class MemberCreate(MemberAdd):
    leader_id: str = UserId
