"""`python -m services.portal.seed`: demo accounts plus a login-less row for every officer,
station chief and group leader of the demo org, so other services learn names and phones
through `user.upserted`. Idempotent: a second run changes and publishes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from services.portal.service import AccountSpec, ensure_account
from shared import migrate
from shared.config import PortalSettings
from shared.db import make_engine, make_session_factory, transaction
from shared.demo import demo_accounts, org
from shared.logs import setup_logging

log = logging.getLogger("fengqiao.portal.seed")
BATCH = 200


def demo_specs() -> list[AccountSpec]:
    return [
        AccountSpec(
            user_id=a.user_id,
            username=a.username,
            role=a.role,
            display_name=a.display_name,
            phone=a.phone,
            password=a.password,
            village_code=a.village,
            station_code=a.station,
            police_room_code=a.police_room,
            partner_code=a.partner,
        )
        for a in demo_accounts()
    ]


def org_specs() -> list[AccountSpec]:
    o = org()
    rooms = {r.code: r for r in o.rooms}
    specs = [
        AccountSpec(
            user_id=off.user_id,
            username=off.user_id,
            role="officer",
            display_name=off.name,
            phone=off.phone,
            station_code=off.station_code,
            police_room_code=off.police_room_codes[0] if off.police_room_codes else None,
            village_code=(
                rooms[off.police_room_codes[0]].village_code if off.police_room_codes else None
            ),
        )
        for off in o.officers
    ]
    specs += [
        AccountSpec(
            user_id=st.chief_id,
            username=st.chief_id,
            role="station_chief",
            display_name=f"{st.name}所长",
            station_code=st.code,
        )
        for st in o.stations
    ]
    specs += [
        AccountSpec(
            user_id=g.leader_id,
            username=g.leader_id,
            role="group_leader",
            display_name=f"{g.name}队长",
            village_code=g.village_code,
        )
        for g in o.groups
    ]
    return specs


def all_specs() -> list[AccountSpec]:
    """Org rows first, demo accounts override them (same user id, a real login)."""
    merged = {s.user_id: s for s in org_specs()}
    merged.update({s.user_id: s for s in demo_specs()})
    return list(merged.values())


async def seed_accounts(
    factory: async_sessionmaker[AsyncSession], specs: Sequence[AccountSpec], *, progress: bool
) -> int:
    changed = 0
    bar = tqdm(total=len(specs), desc="portal accounts", unit="user", disable=not progress)
    for start in range(0, len(specs), BATCH):
        chunk = specs[start : start + BATCH]
        async with transaction(factory) as session:
            for spec in chunk:
                changed += await ensure_account(session, spec)
        bar.update(len(chunk))
    bar.close()
    return changed


async def run(settings: PortalSettings, *, progress: bool = True) -> int:
    await asyncio.to_thread(migrate.upgrade, "portal", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return await seed_accounts(make_session_factory(engine), all_specs(), progress=progress)
    finally:
        await engine.dispose()


def main() -> None:
    settings = PortalSettings()
    setup_logging("portal-seed", settings.log_level)
    changed = asyncio.run(run(settings))
    log.info("portal seed: %d accounts created or changed (events queued in the outbox)", changed)


if __name__ == "__main__":
    main()
