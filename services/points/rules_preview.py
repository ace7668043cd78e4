"""What a proposed set of earning rules would have given the awards of recent weeks, from the
points service's own ledger (no FastAPI here).

The events are the awards the ledger made in the window: dispute helpers, follow-ups and
residents' reports (their `earn` entries), co-signed patrols (one event per member, the daily
cap recomputed over each day's co-signs in their order) and rated tips (also those that earned
nothing). What they earned is what the ledger holds, whatever version priced them.

The expiry period and the hold are previewed over the same window: the points a single period
would have had expire between its start and its end (replaying the ledger without its own
expiries, by expiry.py's rule), and the held redemptions handed over later than a hold.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.expiry import ExpiryPeriod, due_amounts
from services.points.models import Entry, Patrol, PatrolMember, Redemption, Tip
from services.points.rule_versions import latest_version
from shared.contracts.points_rules import (
    EarningRules,
    ExpiryPreview,
    HoldPreview,
    KindPreview,
    PointsPreviewRead,
    PreviewKind,
)

PRICED: dict[PreviewKind, str] = {
    "mediation": "mediation_help",
    "follow_up": "follow_up_help",
    "screening": "screening_report",
}


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


async def _entries(
    session: AsyncSession, rules: EarningRules, since: datetime, until: datetime
) -> list[KindPreview]:
    rows = await session.execute(
        select(Entry.reason_kind, func.count(), func.sum(Entry.amount))
        .where(
            Entry.kind == "earn",
            Entry.reason_kind.in_(list(PRICED)),
            Entry.created_at >= since,
            Entry.created_at < until,
            Entry.account_id.not_like("group:%"),
        )
        .group_by(Entry.reason_kind)
    )
    found = {kind: (int(n), int(total or 0)) for kind, n, total in rows}
    out = []
    for kind, field in PRICED.items():
        n, total = found.get(kind, (0, 0))
        per_event = int(getattr(rules, field))
        out.append(
            KindPreview(kind=kind, events=n, current_points=total, proposed_points=n * per_event)
        )
    return out


async def _tips(
    session: AsyncSession, rules: EarningRules, since: datetime, until: datetime
) -> KindPreview:
    rated_at = func.coalesce(Tip.rated_at, Tip.created_at)
    rows = await session.execute(
        select(Tip.rating, func.count(), func.sum(Tip.points))
        .where(Tip.status == "rated", rated_at >= since, rated_at < until)
        .group_by(Tip.rating)
    )
    prices = rules.tip_points.model_dump()
    events = current = proposed = 0
    for rating, n, total in rows:
        events += int(n)
        current += int(total or 0)
        proposed += int(n) * int(prices.get(rating or "", 0))
    return KindPreview(kind="tip", events=events, current_points=current, proposed_points=proposed)


async def _patrols(
    session: AsyncSession, rules: EarningRules, since: datetime, until: datetime
) -> KindPreview:
    in_window = Patrol.cosigned_at >= since, Patrol.cosigned_at < until
    days = select(Patrol.day).where(Patrol.status == "cosigned", *in_window).distinct()
    rows = await session.execute(
        select(
            PatrolMember.user_id,
            PatrolMember.minutes,
            PatrolMember.points,
            Patrol.day,
            Patrol.cosigned_at,
        )
        .join(Patrol, Patrol.id == PatrolMember.patrol_id)
        .where(Patrol.status == "cosigned", Patrol.day.in_(days))
        .order_by(Patrol.cosigned_at, Patrol.id, PatrolMember.user_id)
    )
    earned: dict[tuple[str, str], int] = defaultdict(int)  # (person, day) under these rules
    events = current = proposed = 0
    for user_id, minutes, points, day, cosigned_at in rows:
        raw = minutes * rules.patrol_points_per_hour // 60
        new = max(0, min(raw, rules.patrol_daily_cap - earned[user_id, day]))
        earned[user_id, day] += new
        if cosigned_at is not None and since <= _aware(cosigned_at) < until:
            events += 1
            current += points
            proposed += new
    return KindPreview(
        kind="patrol", events=events, current_points=current, proposed_points=proposed
    )


async def _expiry(
    session: AsyncSession, days: int, since: datetime, until: datetime
) -> ExpiryPreview:
    """Due at the window's end less due at its start, per account (the ledger replayed)."""
    periods = [ExpiryPeriod(version=None, days=days)]
    before = dict(await due_amounts(session, now=since, periods=periods, replay=True))
    after = await due_amounts(session, now=until, periods=periods, replay=True)
    gone = [n - before.get(account, 0) for account, n in after]
    gone = [n for n in gone if n > 0]
    return ExpiryPreview(days=days, points=sum(gone), accounts=len(gone))


async def _hand_over_delays(session: AsyncSession, since: datetime, until: datetime) -> list[float]:
    """Minutes from each held redemption of the window to its hand-over."""
    rows = await session.execute(
        select(Redemption.created_at, Entry.created_at)
        .join(Entry, and_(Entry.ref == Redemption.id, Entry.kind == "redeem"))
        .where(
            Redemption.hold_expires_at.is_not(None),
            Redemption.created_at >= since,
            Redemption.created_at < until,
        )
    )
    return [(_aware(out) - _aware(made)).total_seconds() / 60 for made, out in rows]


async def preview(
    session: AsyncSession,
    *,
    proposed: EarningRules,
    since: datetime,
    until: datetime,
    current: EarningRules | None = None,
) -> PointsPreviewRead:
    kinds = [
        *await _entries(session, proposed, since, until),
        await _patrols(session, proposed, since, until),
        await _tips(session, proposed, since, until),
    ]
    current = current or proposed
    delays = await _hand_over_delays(session, since, until)

    def hold(minutes: int) -> HoldPreview:
        return HoldPreview(minutes=minutes, late=sum(1 for d in delays if d > minutes))

    return PointsPreviewRead(
        since=since,
        until=until,
        current_version=await latest_version(session),
        events=sum(k.events for k in kinds),
        current_points=sum(k.current_points for k in kinds),
        proposed_points=sum(k.proposed_points for k in kinds),
        kinds=kinds,
        held_redemptions=len(delays),
        expiry_current=await _expiry(session, current.expiry_days or 0, since, until),
        expiry_proposed=await _expiry(session, proposed.expiry_days or 0, since, until),
        hold_current=hold(current.redemption_hold_minutes or 0),
        hold_proposed=hold(proposed.redemption_hold_minutes or 0),
    )
