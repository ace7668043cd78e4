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

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
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


def _replayed(as_of: datetime) -> Select[str, int, int]:
    """Each account's balance and holds as the ledger stood at `as_of`, without the expiries
    it made (what a different period would have found)."""
    return (
        select(
            Entry.account_id.label("id"),
            func.sum(Entry.amount).label("balance"),
            func.sum(Entry.held_delta).label("held"),
        )
        .where(Entry.created_at <= as_of, Entry.kind != "expire")
        .group_by(Entry.account_id)
    )


async def due_amounts(
    session: AsyncSession,
    *,
    now: datetime,
    periods: Sequence[ExpiryPeriod],
    replay: bool = False,
) -> list[tuple[str, int]]:
    """What each account has past its period at `now`, oldest points first: from the accounts'
    balances, or (`replay`) from the ledger as it stood at `now` without its expiries."""
    lasting = [p for p in periods if p.days > 0]
    if not lasting:
        return []
    cutoffs = [now - timedelta(days=p.days) for p in lasting]
    reversed_ids = select(Entry.reverses_id).where(Entry.reverses_id.is_not(None))
    credit: list[ColumnElement[bool]] = [
        Entry.kind.in_(CREDIT_KINDS),
        Entry.amount > 0,
        Entry.id.not_in(reversed_ids),
    ]
    if replay:
        credit.append(Entry.created_at <= now)
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
    held = (
        _replayed(now).subquery()
        if replay
        else select(Account.id, Account.balance, Account.held).subquery()
    )
    rows = (
        await session.execute(
            select(held.c.id, held.c.balance, held.c.held, totals.c.credits, old.c.old_credits)
            .join(totals, totals.c.account_id == held.c.id)
            .join(old, old.c.account_id == held.c.id)
            .where(held.c.balance > 0)
        )
    ).all()
    out: list[tuple[str, int]] = []
    for row in rows:
        balance, on_hold = int(row.balance), int(row.held or 0)
        consumed = int(row.credits) - balance - on_hold
        amount = min(balance, int(row.old_credits) - consumed)
        if amount > 0:
            out.append((row.id, amount))
    return out


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
    cutoff = max(now - timedelta(days=p.days) for p in lasting)
    expired: list[Entry] = []
    for account_id, amount in await due_amounts(session, now=now, periods=lasting):
        entry = await post(
            session,
            account_id=account_id,
            kind="expire",
            amount=-amount,
            reason_kind="expiry",
            reason=f"earned on or before {cutoff.date().isoformat()}",
            idem_key=f"expire:{account_id}:{cutoff.isoformat()}",
            now=now,
        )
        expired.append(entry)
    return expired
