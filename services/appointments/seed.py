"""`python -m services.appointments.seed`: the six services, offices, hours, holidays, kiosks.

Idempotent (INSERT ... ON CONFLICT DO NOTHING): rerunning it never duplicates or overwrites
what staff changed since. Offices are the stations of `shared.demo.org()` plus one service
hall per county with a 365x24 window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from services.appointments.models import (
    Capacity,
    Closure,
    Kiosk,
    Office,
    OpeningHours,
    Service,
    Window,
)
from shared import demo, migrate
from shared.config import AppointmentsSettings
from shared.db import make_engine, make_session_factory
from shared.messaging.outbox import insert_ignore

ALL_WAYS = ["online", "appointment", "one_visit", "extended", "self_service", "door_to_door"]

SERVICES: list[dict[str, Any]] = [
    {
        "code": "hukou",
        "name": "户籍办理（含户口迁转）",
        "name_en": "Household registration incl. hukou transfer",
        "category": "household",
        "checklist": ["居民户口簿", "居民身份证", "准予迁入证明"],
        "promised_days": 5,
        "ways": ALL_WAYS,
    },
    {
        "code": "id_card",
        "name": "居民身份证",
        "name_en": "ID card",
        "category": "household",
        "checklist": ["居民户口簿", "数码照片回执"],
        "promised_days": 15,
        "ways": ["appointment", "one_visit", "extended", "self_service", "door_to_door"],
    },
    {
        "code": "exit_entry",
        "name": "出入境证件",
        "name_en": "Exit-entry documents",
        "category": "exit_entry",
        "checklist": ["居民身份证", "出入境证件申请表"],
        "promised_days": 7,
        "ways": ["online", "appointment", "one_visit", "extended", "self_service"],
    },
    {
        "code": "vehicle",
        "name": "车驾管业务",
        "name_en": "Vehicles and drivers",
        "category": "traffic",
        "checklist": ["居民身份证", "机动车驾驶证", "机动车行驶证"],
        "promised_days": 1,
        "ways": ["online", "appointment", "one_visit", "extended", "self_service"],
    },
    {
        "code": "permit",
        "name": "治安许可",
        "name_en": "Public-order permits",
        "category": "public_order",
        "checklist": ["营业执照", "居民身份证", "场所平面图", "消防安全检查合格证明"],
        "promised_days": 10,
        "ways": ["online", "appointment", "one_visit"],
    },
    {
        "code": "no_record",
        "name": "无犯罪记录证明",
        "name_en": "No-criminal-record certificate",
        "category": "certificate",
        "checklist": ["居民身份证", "用途说明"],
        "promised_days": 3,
        "ways": ALL_WAYS,
    },
]
STATION_SERVICES = ["hukou", "id_card", "no_record", "permit"]
HOLIDAYS = [
    (date(2027, 1, 1), "元旦"),
    *[(date(2027, 2, d), "春节") for d in range(5, 12)],
    (date(2027, 4, 5), "清明节"),
    *[(date(2027, 5, d), "劳动节") for d in range(1, 6)],
]
HALL_SEATS = {"appointment": 4, "one_visit": 2, "door_to_door": 1}
STATION_SEATS = {"appointment": 2, "one_visit": 1, "door_to_door": 1}
WEEKDAY_HOURS = [("08:30", "12:00", False), ("12:00", "14:30", True), ("14:30", "18:00", False)]


def rows(only: set[str] | None = None) -> Iterator[tuple[Table, dict[str, Any], list[str]]]:
    """(table, values, key columns) for every seeded row; `only` limits the offices (tests)."""
    t_service, t_office, t_window = _t(Service), _t(Office), _t(Window)
    t_hours, t_cap, t_closure, t_kiosk = _t(OpeningHours), _t(Capacity), _t(Closure), _t(Kiosk)
    for svc in SERVICES:
        yield t_service, svc, ["code"]
    org = demo.org()
    offices: list[dict[str, Any]] = [
        {
            "code": s.code,
            "name": s.name,
            "kind": "station",
            "county_code": s.county_code,
            "station_code": s.code,
            "address": f"{org.counties[s.county_code]}{s.township}",
            "slot_minutes": 30,
            "always_open": False,
            "services": STATION_SERVICES,
        }
        for s in org.stations
    ]
    offices += [
        {
            "code": f"H{cc}",
            "name": f"{name}公安政务服务大厅",
            "kind": "hall",
            "county_code": cc,
            "station_code": None,
            "address": f"{name}政务服务中心",
            "slot_minutes": 30,
            "always_open": True,
            "services": [s["code"] for s in SERVICES],
        }
        for cc, name in org.counties.items()
    ]
    for index, o in enumerate(tqdm(offices, desc="offices", unit="office", disable=bool(only))):
        if only is not None and o["code"] not in only:
            continue
        hall = o["kind"] == "hall"
        code = o["code"]
        yield t_office, o, ["code"]
        windows = [(f"W{n}", f"{n}号窗口", False) for n in range(1, (6 if hall else 2) + 1)]
        if hall:
            windows.append(("W24", "24小时窗口", True))
        for wcode, wname, always in windows:
            values = {"office_code": code, "code": wcode, "name": wname, "always_open": always}
            yield t_window, values, ["office_code", "code"]
        hours = [(wd, *h) for wd in range(5) for h in WEEKDAY_HOURS]
        hours.append((2, "18:00", "20:00", True))  # Wednesday evening
        hours.append((5, "09:00", "12:00", True))  # Saturday morning
        if hall:
            hours += [(wd, "18:00", "21:00", True) for wd in (0, 1, 3, 4)]
            hours.append((6, "09:00", "12:00", True))
        for i, (wd, opens, closes, ext) in enumerate(hours):
            values = {
                "id": index * 100 + i + 1,  # stable ids: a rerun finds the same rows
                "office_code": code,
                "weekday": wd,
                "opens": opens,
                "closes": closes,
                "extended": ext,
            }
            yield t_hours, values, ["id"]
        for way, n in (HALL_SEATS if hall else STATION_SEATS).items():
            yield t_cap, {"office_code": code, "way": way, "seats": n}, ["office_code", "way"]
        for k in range(1, (2 if hall else 1) + 1):
            yield (
                t_kiosk,
                {
                    "code": f"K{code}{k}",
                    "office_code": code,
                    "location": f"{o['name']} {'大厅' if hall else '门厅'} {k}",
                    "services": ["no_record", "vehicle", "exit_entry"] if hall else ["no_record"],
                    "hours": "00:00-24:00" if hall else "08:30-18:00",
                    "in_service": True,
                    "note": "",
                },
                ["code"],
            )
    for day, reason in HOLIDAYS:
        yield t_closure, {"office_code": "*", "day": day, "reason": reason}, ["office_code", "day"]


def _t(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


async def seed(factory: async_sessionmaker[AsyncSession], only: set[str] | None = None) -> int:
    inserted = 0
    async with factory() as s, s.begin():
        for table, values, keys in rows(only):
            inserted += int(await insert_ignore(s, table, values, keys))
    return inserted


async def _main(settings: AppointmentsSettings) -> None:
    await asyncio.to_thread(migrate.upgrade, "appointments", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        n = await seed(make_session_factory(engine))
    finally:
        await engine.dispose()
    import logging

    logging.getLogger("fengqiao.appointments.seed").info("seeded %d new rows", n)


def main() -> None:
    from shared.logs import setup_logging

    settings = AppointmentsSettings()
    setup_logging("appointments-seed", settings.log_level)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()
