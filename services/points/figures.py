"""Figures: leaderboards by village and group, points issued/redeemed per month, patrol hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.models import Account, Entry, Patrol, PatrolMember, Village
from shared.contracts.points import FiguresRead, HoursRow, LeaderRow, MonthRow


def _month(session: AsyncSession, column: Any) -> Any:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


async def figures(session: AsyncSession, *, top: int = 20) -> FiguresRead:
    # earned = credits net of their reversals (a reversed patrol no longer counts)
    earned = (Entry.kind.in_(("earn", "adjust", "reverse"))) & (Entry.reason_kind != "redemption")
    village_points = func.sum(Entry.amount).label("points")
    villages = (
        await session.execute(
            select(Account.village_code, village_points)
            .join(Entry, Entry.account_id == Account.id)
            .where(earned, Account.kind == "resident", Account.village_code.is_not(None))
            .group_by(Account.village_code)
            .order_by(village_points.desc(), Account.village_code)
            .limit(top)
        )
    ).all()
    groups = (
        await session.execute(
            select(Account.id, Account.display_name, village_points)
            .join(Entry, Entry.account_id == Account.id)
            .where(earned, Account.kind == "group")
            .group_by(Account.id, Account.display_name)
            .order_by(village_points.desc(), Account.id)
            .limit(top)
        )
    ).all()
    codes = [str(v[0]) for v in villages]
    rows = await session.execute(select(Village.code, Village.name).where(Village.code.in_(codes)))
    names = {str(code): str(name) for code, name in rows.all()}
    month = _month(session, Entry.created_at).label("month")
    issued = func.sum(Entry.amount).filter(
        Entry.kind == "earn", ~Entry.account_id.startswith("group:")
    )
    redeemed = func.sum(-(Entry.amount + Entry.held_delta)).filter(Entry.kind == "redeem")
    months = (
        await session.execute(
            select(month, issued, redeemed)
            .where(Entry.kind.in_(("earn", "redeem")))
            .group_by(month)
            .order_by(month)
        )
    ).all()
    minutes = func.sum(PatrolMember.minutes).label("minutes")
    by_group = (
        await session.execute(
            select(Patrol.group_code, minutes)
            .join(PatrolMember, PatrolMember.patrol_id == Patrol.id)
            .where(Patrol.status == "cosigned")
            .group_by(Patrol.group_code)
            .order_by(minutes.desc(), Patrol.group_code)
        )
    ).all()
    return FiguresRead(
        villages=[
            LeaderRow(key=str(v[0]), name=names.get(str(v[0]), str(v[0])), points=int(v[1]))
            for v in villages
        ],
        groups=[
            LeaderRow(key=g[0].removeprefix("group:"), name=g[1], points=int(g[2])) for g in groups
        ],
        months=[
            MonthRow(month=m[0], issued=int(m[1] or 0), redeemed=int(m[2] or 0)) for m in months
        ],
        patrol_hours=round(sum(int(r[1]) for r in by_group) / 60, 1),
        patrol_hours_by_group=[
            HoursRow(key=r[0], hours=round(int(r[1]) / 60, 1)) for r in by_group
        ],
    )
