"""Volunteer groups and patrols: a leader logs a shift, an officer co-signs, points post.

Points stay pending on the patrol until the co-sign; then each member is credited up to the
daily cap (over every co-signed patrol of that day), and the group's account gets the total.
"""

from __future__ import annotations

import uuid
from datetime import UTC

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points import ledger
from services.points.ledger import Forbidden, NotFound, Refused, claim_key, store_result
from services.points.models import Account, Entry, Group, GroupMember, Patrol, PatrolMember
from services.points.rules import Rules
from shared.contracts.points import (
    GroupRead,
    MemberRead,
    PatrolCreate,
    PatrolMemberRead,
    PatrolRead,
)


def group_account(code: str) -> str:
    return f"group:{code}"


# -- volunteer groups and patrols ----------------------------------------------------------


async def group_read(session: AsyncSession, group: Group) -> GroupRead:
    members = (
        await session.execute(
            select(GroupMember)
            .where(GroupMember.group_code == group.code)
            .order_by(GroupMember.user_id)
        )
    ).scalars()
    earned = (
        await session.execute(
            select(func.coalesce(func.sum(Entry.amount), 0)).where(
                Entry.account_id == group_account(group.code)
            )
        )
    ).scalar_one()
    return GroupRead(
        code=group.code,
        name=group.name,
        village_code=group.village_code,
        leader_id=group.leader_id,
        members=[MemberRead(user_id=m.user_id, display_name=m.display_name) for m in members],
        total_points=int(earned),
    )


async def list_groups(session: AsyncSession, *, leader_id: str | None = None) -> list[GroupRead]:
    stmt = select(Group).order_by(Group.code)
    if leader_id is not None:
        stmt = stmt.where(Group.leader_id == leader_id)
    return [await group_read(session, g) for g in (await session.execute(stmt)).scalars().all()]


async def add_member(
    session: AsyncSession, *, group_code: str, leader_id: str, user_id: str, display_name: str
) -> GroupRead:
    group = await _own_group(session, group_code, leader_id)
    if await session.get(GroupMember, (group_code, user_id)) is None:
        session.add(GroupMember(group_code=group_code, user_id=user_id, display_name=display_name))
        await session.flush()
    return await group_read(session, group)


async def _own_group(session: AsyncSession, group_code: str, leader_id: str) -> Group:
    group = await session.get(Group, group_code)
    if group is None:
        raise NotFound(f"no volunteer group {group_code}", field="group_code")
    if group.leader_id != leader_id:
        raise Forbidden("only the group's leader can do this", field="group_code")
    return group


def _raw_points(minutes: int, rules: Rules) -> int:
    return minutes * rules.patrol_points_per_hour // 60


async def patrol_read(session: AsyncSession, patrol: Patrol, rules: Rules) -> PatrolRead:
    members = (
        await session.execute(
            select(PatrolMember)
            .where(PatrolMember.patrol_id == patrol.id)
            .order_by(PatrolMember.user_id)
        )
    ).scalars()
    started, ended = ledger.as_utc(patrol.started_at), ledger.as_utc(patrol.ended_at)
    return PatrolRead(
        id=patrol.id,
        group_code=patrol.group_code,
        leader_id=patrol.leader_id,
        village_code=patrol.village_code,
        started_at=started,
        ended_at=ended,
        hours=round((ended - started).total_seconds() / 3600, 2),
        notes=patrol.notes,
        status=patrol.status,
        cosigned_by=patrol.cosigned_by,
        members=[
            PatrolMemberRead(
                user_id=m.user_id,
                minutes=m.minutes,
                points=m.points if patrol.status == "cosigned" else _raw_points(m.minutes, rules),
            )
            for m in members
        ],
    )


async def log_patrol(session: AsyncSession, data: PatrolCreate, rules: Rules) -> PatrolRead:
    body = data.model_dump(mode="json", exclude={"idempotency_key"})
    key = f"patrol:{data.leader_id}:{data.idempotency_key}"
    done = await claim_key(session, key, body)
    if done is not None:
        return await get_patrol(session, str(done["id"]), rules)
    await _own_group(session, data.group_code, data.leader_id)
    known = set(
        (
            await session.execute(
                select(GroupMember.user_id).where(GroupMember.group_code == data.group_code)
            )
        ).scalars()
    )
    strangers = [m for m in data.member_ids if m not in known]
    if strangers:
        raise Refused(
            f"not members of {data.group_code}: {', '.join(strangers)}", field="member_ids"
        )
    minutes = int((data.ended_at - data.started_at).total_seconds() // 60)
    patrol = Patrol(
        id=str(uuid.uuid4()),
        group_code=data.group_code,
        leader_id=data.leader_id,
        village_code=data.village_code,
        started_at=data.started_at.astimezone(UTC),
        ended_at=data.ended_at.astimezone(UTC),
        day=data.started_at.astimezone(rules.tz).date().isoformat(),
        notes=data.notes,
        status="pending",
    )
    session.add(patrol)
    await session.flush()
    for user_id in data.member_ids:
        session.add(PatrolMember(patrol_id=patrol.id, user_id=user_id, minutes=minutes, points=0))
    await session.flush()
    await store_result(session, key, {"id": patrol.id})
    return await patrol_read(session, patrol, rules)


async def get_patrol(session: AsyncSession, patrol_id: str, rules: Rules) -> PatrolRead:
    patrol = await session.get(Patrol, patrol_id)
    if patrol is None:
        raise NotFound(f"no patrol {patrol_id}", field="patrol_id")
    return await patrol_read(session, patrol, rules)


async def list_patrols(
    session: AsyncSession,
    rules: Rules,
    *,
    status: str | None = None,
    group_codes: list[str] | None = None,
    station_code: str | None = None,
    limit: int = 100,
) -> list[PatrolRead]:
    stmt = select(Patrol).order_by(Patrol.started_at.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Patrol.status == status)
    if group_codes is not None:
        stmt = stmt.where(Patrol.group_code.in_(group_codes))
    if station_code is not None:
        stmt = stmt.where(Patrol.village_code.in_(ledger.station_villages(station_code)))
    patrols = (await session.execute(stmt)).scalars().all()
    return [await patrol_read(session, p, rules) for p in patrols]


async def cosign_patrol(
    session: AsyncSession,
    *,
    patrol_id: str,
    officer_id: str,
    rules: Rules,
    station_code: str | None = None,
) -> PatrolRead:
    """Post the pending points, each member capped per day over all co-signed patrols."""
    patrol = await session.get(Patrol, patrol_id, with_for_update=True)
    if patrol is None:
        raise NotFound(f"no patrol {patrol_id}", field="patrol_id")
    await ledger.check_station(session, patrol.village_code, station_code, "patrol")
    if patrol.status == "cosigned":
        if patrol.cosigned_by == officer_id:
            return await patrol_read(session, patrol, rules)
        raise Refused("this patrol was already co-signed", field="patrol_id")
    if officer_id == patrol.leader_id:
        raise Forbidden("the leader who logged a patrol cannot co-sign it", field="officer_id")
    members = (
        (await session.execute(select(PatrolMember).where(PatrolMember.patrol_id == patrol_id)))
        .scalars()
        .all()
    )
    total = 0
    for member in sorted(members, key=lambda m: m.user_id):  # one lock order: no deadlocks
        await ledger.ensure_account(session, member.user_id, village_code=patrol.village_code)
        # the account row lock serialises concurrent co-signs of the same person's cap
        await session.execute(
            select(Account.id).where(Account.id == member.user_id).with_for_update()
        )
        earned_today = (
            await session.execute(
                select(func.coalesce(func.sum(PatrolMember.points), 0))
                .join(Patrol, Patrol.id == PatrolMember.patrol_id)
                .where(
                    PatrolMember.user_id == member.user_id,
                    Patrol.day == patrol.day,
                    Patrol.status == "cosigned",
                )
            )
        ).scalar_one()
        points = max(
            0, min(_raw_points(member.minutes, rules), rules.patrol_daily_cap - int(earned_today))
        )
        member.points = points
        total += points
        await ledger.credit_once(
            session,
            account_id=member.user_id,
            amount=points,
            reason_kind="patrol",
            reason=f"volunteer patrol {patrol.day}",
            ref=patrol.id,
            idem_key=f"patrol:{patrol.id}:{member.user_id}",
            actor_id=officer_id,
            rules_version=rules.version,
        )
    group = await session.get(Group, patrol.group_code)
    await ledger.ensure_account(
        session,
        group_account(patrol.group_code),
        kind="group",
        display_name=group.name if group else patrol.group_code,
        village_code=patrol.village_code,
    )
    await ledger.credit_once(
        session,
        account_id=group_account(patrol.group_code),
        amount=total,
        reason_kind="patrol",
        reason=f"volunteer patrol {patrol.day}",
        ref=patrol.id,
        idem_key=f"patrol:{patrol.id}:group",
        actor_id=officer_id,
        rules_version=rules.version,
    )
    patrol.status = "cosigned"
    patrol.cosigned_by = officer_id
    patrol.cosigned_at = ledger.utcnow()
    await session.flush()
    return await patrol_read(session, patrol, rules)
