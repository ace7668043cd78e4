"""Partner organisations of the linkage as their administrators change them (no FastAPI here):
create or change one (its kind, name, station and the villages it serves), deactivate it (no
new requests name it; refused while requests sent to it are open). Logged like the rest of
the directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.directory_admin import log_change, upsert_logged
from services.disputes.models import PartnerOrg, Station, Task, Village
from shared.contracts import directory as contract
from shared.errors import Conflict, Invalid, NotFound


def _read(row: PartnerOrg) -> contract.OrgPartnerRead:
    return contract.OrgPartnerRead.model_validate(row)


async def partners(
    session: AsyncSession, station: str | None = None
) -> list[contract.OrgPartnerRead]:
    stmt = select(PartnerOrg).order_by(PartnerOrg.station_code, PartnerOrg.kind, PartnerOrg.code)
    if station:
        stmt = stmt.where(PartnerOrg.station_code == station)
    return [_read(r) for r in (await session.execute(stmt)).scalars()]


async def put_partner(
    session: AsyncSession, code: str, body: contract.OrgPartnerWrite, *, now: datetime
) -> contract.OrgPartnerRead:
    station = await session.get(Station, body.station_code)
    if station is None:
        raise Invalid("no such station in the directory", "station_code")
    known = set(
        (
            await session.execute(
                select(Village.code).where(
                    Village.station_code == body.station_code, Village.active
                )
            )
        ).scalars()
    )
    wanted = list(dict.fromkeys(body.village_codes))
    strangers = [v for v in wanted if v not in known]
    if strangers:
        raise Invalid(
            f"not an open village of this station: {', '.join(strangers)}", "village_codes"
        )
    row, _ = await upsert_logged(
        session,
        PartnerOrg,
        {"code": code},
        {
            "kind": body.kind,
            "name": body.name,
            "township": station.township,
            "station_code": body.station_code,
            "village_codes": wanted,
            "active": True,
        },
        kind="partner",
        actor_id=body.actor_id,
        reason=body.reason,
        now=now,
    )
    return _read(row)


async def deactivate_partner(
    session: AsyncSession, code: str, body: contract.OrgCloseWrite, *, now: datetime
) -> contract.OrgPartnerRead:
    row = await session.get(PartnerOrg, code, with_for_update=True)
    if row is None:
        raise NotFound(f"no partner organisation {code}")
    if row.active:
        open_requests = await session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.partner_code == code, Task.closed_at.is_(None))
        )
        if open_requests:
            raise Conflict(
                f"the organisation still has {open_requests} open linkage requests: "
                "wait for their answers first"
            )
        row.active = False
        await log_change(
            session,
            kind="partner",
            code=code,
            before={"active": True},
            after={"active": False},
            actor_id=body.actor_id,
            reason=body.reason,
            now=now,
        )
    return _read(row)


async def put_channel(
    session: AsyncSession, code: str, body: contract.OrgPartnerChannelWrite, *, now: datetime
) -> contract.OrgPartnerRead:
    """Where the organisation's linkage notices go (workflows/disputes/outbound.py reads it at
    every attempt); set by administrators, and by station chiefs for their own station's
    organisations (checked by the portal)."""
    row = await session.get(PartnerOrg, code)
    if row is None or not row.active:
        raise NotFound(f"no partner organisation {code}")
    if row.notify_url != body.notify_url:
        await log_change(
            session,
            kind="partner_channel",
            code=code,
            before={"notify_url": row.notify_url},
            after={"notify_url": body.notify_url},
            actor_id=body.actor_id,
            reason=body.reason,
            now=now,
        )
        row.notify_url = body.notify_url
    return _read(row)
