"""Expiry of earned points (no FastAPI here): each credit lasts the period of the rules version
it was made under — an award the version named in `entries.rules_version`, another credit
(an adjustment, or an award from before versions) the version in force when it was made —
so a changed period applies to points earned from then on only.

Spending is taken to use the oldest points first. Everything spent or expired is counted
against the credits that are due, so a point never expires twice; when versions' periods
differ, points earned under a shorter period after older ones were spent may expire only when
the older ones would (never earlier than their own period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.ledger import CREDIT_KINDS, post
from services.points.models import Account, Entry


@dataclass(frozen=True)
class ExpiryPeriod:
    """Points earned under `version` last `days` (0: never). `None` as the version: every
    credit, whatever its version (the installation's single period)."""

    version: int | None
    days: int
    start: datetime | None = None  # the version was in force from (None: always)
    end: datetime | None = None  # until the next version (None: still in force)


def _due(p: ExpiryPeriod, cutoff: datetime) -> ColumnElement[bool]:
    old = Entry.created_at <= cutoff
    if p.version is None:
        return old
    made_then = [Entry.rules_version.is_(None), old]
    if p.start is not None:
        made_then.append(Entry.created_at >= p.start)
    if p.end is not None:
        made_then.append(Entry.created_at < p.end)
    return or_(and_(Entry.rules_version == p.version, old), and_(*made_then))


async def expire_due(
    session: AsyncSession,
    *,
    now: datetime,
    expiry_days: int = 0,
    periods: Sequence[ExpiryPeriod] | None = None,
) -> list[Entry]:
    """Expire the earned points past their period, oldest first; `expiry_days` alone: one
    period for every credit."""
    periods = periods if periods is not None else [ExpiryPeriod(version=None, days=expiry_days)]
    lasting = [p for p in periods if p.days > 0]
    if not lasting:
        return []
    cutoffs = [now - timedelta(days=p.days) for p in lasting]
    cutoff = max(cutoffs)
    reversed_ids = select(Entry.reverses_id).where(Entry.reverses_id.is_not(None))
    credit = (
        Entry.kind.in_(CREDIT_KINDS),
        Entry.amount > 0,
        Entry.id.not_in(reversed_ids),
    )
    totals = (
        select(
            Entry.account_id,
            func.sum(Entry.amount).label("credits"),
        )
        .where(*credit)
        .group_by(Entry.account_id)
        .subquery()
    )
    due = or_(*(_due(p, c) for p, c in zip(lasting, cutoffs, strict=True)))
    old = (
        select(Entry.account_id, func.sum(Entry.amount).label("old_credits"))
        .where(*credit, due)
        .group_by(Entry.account_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Account.id, Account.balance, Account.held, totals.c.credits, old.c.old_credits)
            .join(totals, totals.c.account_id == Account.id)
            .join(old, old.c.account_id == Account.id)
            .where(Account.balance > 0)
        )
    ).all()
    expired: list[Entry] = []
    for row in rows:
        consumed = int(row.credits) - row.balance - row.held
        amount = min(row.balance, int(row.old_credits) - consumed)
        if amount <= 0:
            continue
        entry = await post(
            session,
            account_id=row.id,
            kind="expire",
            amount=-amount,
            reason_kind="expiry",
            reason=f"earned on or before {cutoff.date().isoformat()}",
            idem_key=f"expire:{row.id}:{cutoff.isoformat()}",
            now=now,
        )
        expired.append(entry)
    return expired
