"""The partner organisations' outbound channels, set by administrators (and station chiefs for
their own station's organisations, checked by the portal): where each linkage request is
POSTed (workflows/disputes/outbound.py reads it at every attempt). Every change goes to the
directory's change log (no FastAPI here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.directory_admin import log_change
from services.disputes.models import PartnerOrg
from shared.contracts import directory as contract
from shared.errors import NotFound


async def partners(session: AsyncSession, station: str | None) -> list[contract.OrgPartnerRead]:
    stmt = select(PartnerOrg).where(PartnerOrg.active).order_by(PartnerOrg.kind, PartnerOrg.code)
    if station:
        stmt = stmt.where(PartnerOrg.station_code == station)
    return [contract.OrgPartnerRead.model_validate(p) for p in (await session.scalars(stmt))]


async def put_channel(
    session: AsyncSession, code: str, body: contract.OrgPartnerChannelWrite, *, now: datetime
) -> contract.OrgPartnerRead:
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
    return contract.OrgPartnerRead.model_validate(row)
