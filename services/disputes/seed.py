"""`python -m services.disputes.seed`: the organisation directory from `shared.demo.org()`,
and its `directory.*` listings in the outbox for the services that replicate it.

Idempotent: rows that exist are left alone (INSERT ... ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from services.disputes.directory import publish_directory
from services.disputes.models import (
    Officer,
    PartnerOrg,
    PoliceRoom,
    RoomOfficer,
    Station,
    Village,
)
from shared import migrate
from shared.config import DisputesSettings
from shared.db import make_engine, make_session_factory, transaction
from shared.demo import org
from shared.demo_partners import partner_orgs


def directory_rows() -> list[tuple[Table, list[dict[str, Any]]]]:
    o = org()
    return [
        (
            Station.__table__,  # type: ignore[list-item]
            [
                dict(
                    code=s.code,
                    name=s.name,
                    county_code=s.county_code,
                    township=s.township,
                    chief_id=s.chief_id,
                )
                for s in o.stations
            ],
        ),
        (
            Village.__table__,  # type: ignore[list-item]
            [
                dict(
                    code=v.code,
                    name=v.name,
                    township=v.township,
                    county_code=v.county_code,
                    station_code=v.station_code,
                    police_room_code=v.police_room_code,
                )
                for v in o.villages
            ],
        ),
        (
            PoliceRoom.__table__,  # type: ignore[list-item]
            [
                dict(
                    code=r.code,
                    name=r.name,
                    station_code=r.station_code,
                    village_code=r.village_code,
                )
                for r in o.rooms
            ],
        ),
        (
            Officer.__table__,  # type: ignore[list-item]
            [
                dict(
                    user_id=f.user_id,
                    name=f.name,
                    phone=f.phone,
                    station_code=f.station_code,
                    active=True,
                )
                for f in o.officers
            ],
        ),
        (
            RoomOfficer.__table__,  # type: ignore[list-item]
            [
                dict(room_code=r.code, officer_id=oid, position=i)
                for r in o.rooms
                for i, oid in enumerate(r.officer_ids)
            ],
        ),
        (
            PartnerOrg.__table__,  # type: ignore[list-item]
            [
                dict(
                    code=p.code,
                    kind=p.kind,
                    name=p.name,
                    township=p.township,
                    station_code=p.station_code,
                    village_codes=list(p.village_codes),
                    active=True,
                )
                for p in partner_orgs()
            ],
        ),
    ]


async def seed_directory(
    factory: async_sessionmaker[AsyncSession], *, progress: bool = False, full: bool = False
) -> int:
    total = 0
    groups = directory_rows()
    bar = tqdm(total=sum(len(rows) for _, rows in groups), disable=not progress, unit="row")
    async with transaction(factory) as session:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        for table, rows in groups:
            for i in range(0, len(rows), 500):
                chunk = rows[i : i + 500]
                ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
                await session.execute(ins.values(chunk).on_conflict_do_nothing())
                bar.update(len(chunk))
                total += len(chunk)
        # the other services learn it from the events (`full`: rooms and officers too)
        await publish_directory(session, full=full)
    bar.close()
    return total


async def _main() -> None:
    settings = DisputesSettings()
    await asyncio.to_thread(migrate.upgrade, "disputes", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        await seed_directory(make_session_factory(engine), progress=True, full=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main())
