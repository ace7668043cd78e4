"""The points service's replica of the directory's villages (owned by the disputes service,
listed by its `directory.village_listed` events): which station each village and its shop
belong to. The newest listing wins (shared/replica.py); nothing else writes these rows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.points.models import Village
from shared.errors import Invalid
from shared.messaging.contracts.directory import VillageListed
from shared.replica import keep_newest


async def record_village(session: AsyncSession, listed: VillageListed) -> None:
    await keep_newest(
        session,
        Village,
        {"code": listed.village_code},
        listed.occurred_at,
        {"name": listed.village_name, "station_code": listed.station_code},
    )


async def require_village(session: AsyncSession, village_code: str, field: str) -> Village:
    """The village as the directory listed it, or 422 naming `field`."""
    village = await session.get(Village, village_code)
    if village is None:
        raise Invalid("unknown village (not in the directory)", field)
    return village
