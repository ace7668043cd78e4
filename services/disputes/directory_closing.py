"""Closing a police room or a village (no FastAPI here). A record still in use is refused
with the reason (a room with officers posted or villages to serve; a village with households
or open cases); otherwise it is kept, marked closed, logged, and its listing (`active` false)
goes to the other services through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes import directory
from services.disputes.directory_admin import log_change
from services.disputes.models import Case, Household, PoliceRoom, Village
from shared.contracts import directory as contract
from shared.errors import Conflict, NotFound
from shared.stages import LIVE_STAGES


async def close_room(
    session: AsyncSession, code: str, body: contract.OrgCloseWrite, *, now: datetime
) -> contract.OrgClosedRead:
    row = await session.get(PoliceRoom, code, with_for_update=True)
    if row is None:
        raise NotFound(f"no police room {code} in the directory")
    if row.active:
        posted = await directory.room_officers(session, [code])
        if posted.get(code):
            n = len(posted[code])
            raise Conflict(f"the police room still has {n} officers posted: move them first")
        served = (
            await session.execute(
                select(Village.code).where(Village.police_room_code == code, Village.active)
            )
        ).scalars()
        names = ", ".join(sorted(served))
        if names:
            raise Conflict(
                f"the police room still serves {names}: give them another police room first"
            )
        row.active = False
        await _closed(session, "police_room", code, body, now=now)
        await directory.publish(
            session,
            await directory.listings(session, stations=[], rooms=[code], villages=[], officers=[]),
        )
    return contract.OrgClosedRead(kind="police_room", code=code, active=row.active)


async def close_village(
    session: AsyncSession, code: str, body: contract.OrgCloseWrite, *, now: datetime
) -> contract.OrgClosedRead:
    row = await session.get(Village, code, with_for_update=True)
    if row is None:
        raise NotFound(f"no village {code} in the directory")
    if row.active:
        households = await session.scalar(
            select(func.count()).select_from(Household).where(Household.village_code == code)
        )
        if households:
            raise Conflict(
                f"the village still has {households} households: move them to another first"
            )
        cases = await session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.village_code == code, Case.stage.in_(LIVE_STAGES))
        )
        if cases:
            raise Conflict(f"the village still has {cases} open cases: settle or move them first")
        row.active = False
        await _closed(session, "village", code, body, now=now)
        await directory.publish(
            session,
            await directory.listings(session, stations=[], rooms=[], villages=[code], officers=[]),
        )
    return contract.OrgClosedRead(kind="village", code=code, active=row.active)


async def _closed(
    session: AsyncSession, kind: str, code: str, body: contract.OrgCloseWrite, *, now: datetime
) -> None:
    await log_change(
        session,
        kind=kind,
        code=code,
        before={"active": True},
        after={"active": False},
        actor_id=body.actor_id,
        reason=body.reason,
        now=now,
    )
