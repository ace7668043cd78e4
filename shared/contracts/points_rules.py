"""The points service's contract for its earning rules as data (beside shared/contracts/points.py):
a rule set (the earning amounts, how long earned points last and how long a held redemption
waits), a stored version with who/when/why, and the preview of a proposed set over the ledger
of recent weeks.

The bounds below are published in the schema; the points service checks them and answers every
problem of a rule set at once (field and reason), not only the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.contracts.times import UTCDateTime

MAX_POINTS = 10_000
MAX_HOLD_MINUTES = 7 * 24 * 60
MAX_EXPIRY_DAYS = 10 * 366
# What each kind of event earns: the ledger's reason kinds the rules price.
PreviewKind = Literal["mediation", "follow_up", "screening", "patrol", "tip"]


Points = Annotated[StrictInt, Field(json_schema_extra={"minimum": 0, "maximum": MAX_POINTS})]
HoldMinutes = Annotated[
    StrictInt, Field(json_schema_extra={"minimum": 1, "maximum": MAX_HOLD_MINUTES})
]
ExpiryDays = Annotated[
    StrictInt, Field(json_schema_extra={"minimum": 0, "maximum": MAX_EXPIRY_DAYS})
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TipPoints(_In):
    """Points for a crime tip, by the officer's rating."""

    not_useful: Points = Field(description="a tip rated not useful")
    useful: Points = Field(description="a tip rated useful")
    led_to_case: Points = Field(description="a tip that led to a case")


class EarningRules(_In):
    mediation_help: Points = Field(description="each helper of a closed dispute")
    follow_up_help: Points = Field(description="each helper on a follow-up")
    screening_report: Points = Field(description="a resident whose report became a case")
    patrol_points_per_hour: Points = Field(description="a volunteer patrol, pro rata by minute")
    patrol_daily_cap: Points = Field(description="per person and local day, over all patrols")
    tip_points: TipPoints
    # Not earning amounts, but versioned with them; applied to what is made from then on. Left
    # out of a request: the value in force. Always given in an answer.
    redemption_hold_minutes: HoldMinutes | None = Field(
        default=None,
        description="how long a held redemption waits for the hand-over (holds made from then on)",
    )
    expiry_days: ExpiryDays | None = Field(
        default=None,
        description="days until earned points expire, 0 never (for points earned from then on)",
    )


class PointsRulesVersionRead(BaseModel):
    """One version; 0 is the installation's file (no author, no date)."""

    version: int
    rules: EarningRules
    author_id: str | None = None
    reason: str | None = None
    created_at: UTCDateTime | None = Field(
        default=None, description="in force for what is awarded from then on"
    )


class PointsRulesIn(_In):
    rules: EarningRules
    reason: str = Field(
        description="why the rules change", json_schema_extra={"minLength": 5, "maxLength": 500}
    )


class PointsPreviewIn(_In):
    rules: EarningRules
    days: int = Field(default=30, ge=1, le=366, description="look back this many days")


class KindPreview(BaseModel):
    kind: PreviewKind
    events: int
    current_points: int = Field(description="what these events earned")
    proposed_points: int = Field(description="what they would have earned under these rules")


class ExpiryPreview(BaseModel):
    """Points that would have expired in the window under one period (0: none expire)."""

    days: int
    points: int = 0
    accounts: int = 0


class HoldPreview(BaseModel):
    """Held redemptions of the window handed over later than a hold (released instead)."""

    minutes: int
    late: int = 0


class PointsPreviewRead(BaseModel):
    """The awards of [since, until) as the ledger holds them, against the same events priced by
    the proposed rules (patrols with the daily cap recomputed). Events that earned nothing and
    left no entry (a dispute under a 0-point rule) are not counted; rated tips always are."""

    since: datetime
    until: datetime
    current_version: int
    events: int
    current_points: int
    proposed_points: int
    kinds: list[KindPreview]
    held_redemptions: int = Field(default=0, description="held redemptions handed over")
    expiry_current: ExpiryPreview | None = Field(
        default=None, description="the window's expiry under the period in force"
    )
    expiry_proposed: ExpiryPreview | None = Field(
        default=None, description="the window's expiry under the proposed period"
    )
    hold_current: HoldPreview | None = Field(
        default=None, description="hand-overs later than the hold in force"
    )
    hold_proposed: HoldPreview | None = Field(
        default=None, description="hand-overs later than the proposed hold"
    )
