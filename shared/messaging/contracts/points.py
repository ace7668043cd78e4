"""Events of the points ledger (points.*)."""

from __future__ import annotations

from pydantic import Field

from shared.messaging.events import Event, register


class PointsEvent(Event):
    account_id: str
    amount: int
    balance: int
    entry_id: str
    reason_kind: str


@register
class PointsAwarded(PointsEvent):
    routing_key = "points.awarded"


@register
class PointsRedeemed(PointsEvent):
    routing_key = "points.redeemed"
    item_name: str = ""


@register
class PointsReversed(PointsEvent):
    routing_key = "points.reversed"
    reason: str = ""


@register
class SupermarketStockLow(Event):
    """An item of a village's love supermarket is at or below its low-stock mark."""

    routing_key = "points.stock_low"
    item_id: str
    item_name: str
    shop: str
    village_code: str
    stock: int
    alert_level: int = Field(description="the item's low-stock mark")
