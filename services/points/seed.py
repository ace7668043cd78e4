"""`python -m services.points.seed`: demo groups, shop items and a demo balance (idempotent)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from tqdm import tqdm

from services.points import ledger
from services.points.models import Group, GroupMember, Item, Village
from shared import migrate
from shared.config import PointsSettings
from shared.db import make_engine, make_session_factory, transaction
from shared.demo import demo_accounts, org
from shared.logs import setup_logging
from shared.messaging.outbox import insert_ignore

log = logging.getLogger("fengqiao.points.seed")

DEMO_RESIDENT = "res-demo-0001"


def _svg(colour: str, label: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<rect x="6" y="14" width="52" height="42" rx="6" fill="{colour}"/>'
        f'<text x="32" y="42" font-size="20" text-anchor="middle" fill="#fff">{label}</text></svg>'
    )


# name, price, stock, picture
CATALOGUE: list[tuple[str, int, int, str]] = [
    ("肥皂", 5, 40, _svg("#4a90d9", "皂")),
    ("洗衣粉", 10, 30, _svg("#7b61ff", "粉")),
    ("食用油 5L", 60, 10, _svg("#e0a100", "油")),
    ("大米 10kg", 80, 8, _svg("#8c6d3f", "米")),
    ("毛巾", 8, 25, ""),
    ("牙膏", 6, 30, ""),
]


def _table(model: type[object]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


async def _insert_missing(
    session: AsyncSession, table: Table, rows: list[dict[str, object]], key: str
) -> None:
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    for start in tqdm(range(0, len(rows), 500), desc=table.name, unit="batch"):
        batch = rows[start : start + 500]
        stmt = insert(table).values(batch).on_conflict_do_nothing(index_elements=[key])
        await session.execute(stmt)


async def _seed_villages(session: AsyncSession) -> None:
    rows: list[dict[str, object]] = [
        {"code": v.code, "name": v.name, "station_code": v.station_code} for v in org().villages
    ]
    await _insert_missing(session, _table(Village), rows, "code")


async def _seed_groups(session: AsyncSession) -> None:
    groups = org().groups
    for g in tqdm(groups, desc="volunteer groups", unit="group"):
        await insert_ignore(
            session,
            _table(Group),
            {
                "code": g.code,
                "name": g.name,
                "village_code": g.village_code,
                "leader_id": g.leader_id,
            },
            ["code"],
        )
        members = [(f"vol-{g.code}-{n:02d}", f"队员{g.code}-{n:02d}") for n in range(1, 7)]
        if g.code == "G01":
            members.insert(0, (DEMO_RESIDENT, "马秀英"))
        for user_id, name in members:
            await insert_ignore(
                session,
                _table(GroupMember),
                {"group_code": g.code, "user_id": user_id, "display_name": name},
                ["group_code", "user_id"],
            )
            await ledger.ensure_account(
                session, user_id, display_name=name, village_code=g.village_code
            )


async def _seed_items(session: AsyncSession) -> None:
    rows: list[dict[str, object]] = [
        {
            "id": f"item-{v.code}-{n:02d}",
            "village_code": v.code,
            "shop": f"{v.name}爱心超市",
            "name": name,
            "picture": picture,
            "price": price,
            "stock": stock,
        }
        for v in org().villages
        for n, (name, price, stock, picture) in enumerate(CATALOGUE, start=1)
    ]
    await _insert_missing(session, _table(Item), rows, "id")


async def _seed_demo_balance(session: AsyncSession) -> None:
    resident = next(a for a in demo_accounts() if a.user_id == DEMO_RESIDENT)
    await ledger.ensure_account(
        session, DEMO_RESIDENT, display_name=resident.display_name, village_code=resident.village
    )
    for kind, amount, reason in (
        ("mediation", 10, "helped settle a neighbour dispute (demo)"),
        ("patrol", 12, "volunteer patrol (demo)"),
        ("tip", 20, "crime tip rated useful (demo)"),
        ("adjustment", 100, "demo starting balance"),
    ):
        await ledger.credit_once(
            session,
            account_id=DEMO_RESIDENT,
            amount=amount,
            reason_kind=kind,
            reason=reason,
            idem_key=f"seed:{DEMO_RESIDENT}:{kind}",
        )


async def seed(settings: PointsSettings) -> None:
    await asyncio.to_thread(migrate.upgrade, "points", settings.database_url)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        async with transaction(factory) as session:
            await _seed_villages(session)
            await _seed_groups(session)
        async with transaction(factory) as session:
            await _seed_items(session)
        async with transaction(factory) as session:
            await _seed_demo_balance(session)
    finally:
        await engine.dispose()
    log.info("points demo data seeded")


def main() -> None:
    settings = PointsSettings()
    setup_logging("points-seed", settings.log_level)
    asyncio.run(seed(settings))


if __name__ == "__main__":
    main()
