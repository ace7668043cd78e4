"""Events of the points ledger (points.*)."""

from __future__ import annotations

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
