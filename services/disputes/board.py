"""The supervisor board's reads of the case tables: truthful lateness, and the directory checks
of board actions (no FastAPI here)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import Case, Officer


async def case_station(session: AsyncSession, case_id: str) -> str | None:
    return await session.scalar(select(Case.station_code).where(Case.case_id == case_id))


async def officer_status(session: AsyncSession, officer_id: str) -> tuple[str, bool] | None:
    """(station, active) of an officer of the directory, or None for an unknown id."""
    row = (
        await session.execute(
            select(Officer.station_code, Officer.active).where(Officer.user_id == officer_id)
        )
    ).first()
    return None if row is None else (str(row[0]), bool(row[1]))
