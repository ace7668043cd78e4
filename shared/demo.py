"""Demo data at Guyuan's real shape, generated deterministically (same ids on every run).

Five county-level areas with their townships; each township has one police station (派出所);
villages each have a police room (警务室), 655 in all; 387 community officers cover them;
46 volunteer joint-defence groups. Every seeder (portal accounts, disputes directory,
appointments offices, points groups) reads this one module, so ids agree across services.
Demo accounts (deploy/demo/accounts.json) exist only here, never in production data.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

ACCOUNTS_FILE = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "accounts.json"

COUNTIES: dict[str, tuple[str, list[str]]] = {
    "YZ": (
        "原州区",
        [
            "头营镇",
            "三营镇",
            "官厅镇",
            "开城镇",
            "张易镇",
            "彭堡镇",
            "中河乡",
            "河川乡",
            "炭山乡",
            "寨科乡",
            "南关街道",
        ],
    ),
    "XJ": (
        "西吉县",
        [
            "吉强镇",
            "兴隆镇",
            "平峰镇",
            "将台堡镇",
            "新营乡",
            "红耀乡",
            "偏城乡",
            "沙沟乡",
            "白崖乡",
            "火石寨乡",
            "田坪乡",
            "马建乡",
            "震湖乡",
            "兴平乡",
            "西滩乡",
            "王民乡",
            "什字镇",
            "马莲乡",
            "硝河乡",
        ],
    ),
    "LD": (
        "隆德县",
        [
            "城关镇",
            "沙塘镇",
            "联财镇",
            "陈靳乡",
            "好水乡",
            "观庄乡",
            "杨河乡",
            "神林乡",
            "张程乡",
            "凤岭乡",
            "山河镇",
            "温堡乡",
            "奠安乡",
        ],
    ),
    "JY": ("泾源县", ["香水镇", "泾河源镇", "六盘山镇", "新民乡", "兴盛乡", "黄花乡", "大湾乡"]),
    "PY": (
        "彭阳县",
        [
            "白阳镇",
            "王洼镇",
            "古城镇",
            "红河镇",
            "新集乡",
            "城阳乡",
            "孟塬乡",
            "罗洼乡",
            "交岔乡",
            "草庙乡",
            "冯庄乡",
            "小岔乡",
        ],
    ),
}
# Villages named in the seed article, kept at fixed positions so demos and tests can find them.
NAMED_VILLAGES = {("YZ", "头营镇"): "蒋河村", ("XJ", "偏城乡"): "姚庄村"}
TOTAL_ROOMS = 655
TOTAL_OFFICERS = 387
GROUP_NAMES = [
    "六盘义警",
    "党员义务110巡逻队",
    "红袖标巡防队",
    "平安志愿者队",
    "护村队",
    "乡贤调解队",
    "巾帼巡防队",
    "青年突击队",
]
_SYL1 = list("杨马张李王刘何陈罗田海冯苏高韩白赵周吴孙郭胡黄朱贺")
_SYL2 = ["庄", "湾", "沟", "塬", "洼", "堡", "河", "台", "山", "岔", "坪", "川", "岘", "渠"]
_SURNAMES = list("马王李张杨刘何田海苏冯韩白赵周吴孙郭胡黄朱贺罗陈高")
_GIVEN = list("建国志强红军文华明玉兰秀英立新永福海燕丽娟小平学军春梅")


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    township: str
    county_code: str
    station_code: str
    police_room_code: str


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    county_code: str
    township: str
    chief_id: str


@dataclass(frozen=True)
class PoliceRoom:
    code: str
    name: str
    station_code: str
    village_code: str
    officer_ids: tuple[str, ...]


@dataclass(frozen=True)
class Officer:
    user_id: str
    name: str
    phone: str
    station_code: str
    police_room_codes: tuple[str, ...]


@dataclass(frozen=True)
class VolunteerGroup:
    code: str
    name: str
    village_code: str
    leader_id: str


@dataclass(frozen=True)
class Org:
    counties: dict[str, str]
    stations: list[Station]
    villages: list[Village]
    rooms: list[PoliceRoom]
    officers: list[Officer]
    groups: list[VolunteerGroup]
    by_village: dict[str, Village] = field(default_factory=dict)

    def village_named(self, name: str) -> Village:
        return next(v for v in self.villages if v.name == name)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice([1, 2])))


@cache
def org() -> Org:
    rng = random.Random(20261128)
    townships = [(cc, t) for cc, (_, ts) in COUNTIES.items() for t in ts]
    # spread 655 villages over the townships, 10-12 each
    per_town = [TOTAL_ROOMS // len(townships)] * len(townships)
    for i in range(TOTAL_ROOMS - sum(per_town)):
        per_town[i] += 1
    stations: list[Station] = []
    villages: list[Village] = []
    for n, ((cc, town), count) in enumerate(zip(townships, per_town, strict=True), start=1):
        scode = f"S{cc}{n:02d}"
        stations.append(Station(scode, f"{town}派出所", cc, town, f"chief-{scode}"))
        used: set[str] = set()
        for k in range(1, count + 1):
            if k == 1 and (cc, town) in NAMED_VILLAGES:
                vname = NAMED_VILLAGES[(cc, town)]
            else:
                vname = ""
                while not vname or vname in used or vname in NAMED_VILLAGES.values():
                    vname = rng.choice(_SYL1) + rng.choice(_SYL2) + "村"
            used.add(vname)
            vcode = f"V{cc}{n:02d}{k:02d}"
            villages.append(Village(vcode, vname, town, cc, scode, f"R{vcode[1:]}"))
    # officers: at least one per station, the rest spread; each covers ~1.7 rooms
    officers_by_station: dict[str, list[str]] = {s.code: [] for s in stations}
    oid = 0
    station_cycle = [s.code for s in stations]
    while oid < TOTAL_OFFICERS:
        officers_by_station[station_cycle[oid % len(station_cycle)]].append(f"off-{oid + 1:04d}")
        oid += 1
    rooms: list[PoliceRoom] = []
    room_officers: dict[str, list[str]] = {}
    for s in stations:
        svillages = [v for v in villages if v.station_code == s.code]
        offs = officers_by_station[s.code]
        for i, v in enumerate(svillages):
            room_officers.setdefault(offs[i % len(offs)], []).append(v.police_room_code)
            # the room's own officer first, then a colleague of the station as back-up
            pair = dict.fromkeys((offs[i % len(offs)], offs[(i + 1) % len(offs)]))
            rooms.append(
                PoliceRoom(v.police_room_code, f"{v.name}警务室", s.code, v.code, tuple(pair))
            )
    officers = [
        Officer(o, _name(rng), f"158{int(o[4:]):08d}", s, tuple(room_officers.get(o, [])))
        for s, offs in officers_by_station.items()
        for o in offs
    ]
    groups = []
    for g in range(46):
        v = villages[(g * 14) % len(villages)]
        groups.append(
            VolunteerGroup(
                f"G{g + 1:02d}", f"{v.township}{GROUP_NAMES[g % 8]}", v.code, f"leader-G{g + 1:02d}"
            )
        )
    # the demo group leader leads the group of 蒋河村
    jh = next(v for v in villages if v.name == "蒋河村")
    groups[0] = VolunteerGroup("G01", "头营镇六盘义警", jh.code, "leader-G01")
    return Org(
        counties={cc: name for cc, (name, _) in COUNTIES.items()},
        stations=stations,
        villages=villages,
        rooms=rooms,
        officers=officers,
        groups=groups,
        by_village={v.code: v for v in villages},
    )


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    user_id: str
    display_name: str
    phone: str | None
    station: str | None
    police_room: str | None
    village: str | None
    partner: str | None = None  # a partner account's organisation (PartnerOrg.code)


def demo_accounts() -> list[DemoAccount]:
    o = org()
    jh = o.village_named("蒋河村")
    room = next(r for r in o.rooms if r.code == jh.police_room_code)
    officer = next(x for x in o.officers if x.user_id == room.officer_ids[0])
    chief = next(s for s in o.stations if s.code == jh.station_code)
    return [
        DemoAccount(
            "resident",
            "13900000001",
            "Fq-resident-2026",
            "res-demo-0001",
            "马秀英",
            "13900000001",
            None,
            None,
            jh.code,
        ),
        DemoAccount(
            "officer",
            "officer",
            "Fq-officer-2026",
            officer.user_id,
            officer.name,
            officer.phone,
            jh.station_code,
            room.code,
            jh.code,
        ),
        DemoAccount(
            "station_chief",
            "chief",
            "Fq-chief-2026",
            chief.chief_id,
            "所长 杨建国",
            "13700000001",
            chief.code,
            None,
            None,
        ),
        DemoAccount(
            "group_leader",
            "leader",
            "Fq-leader-2026",
            "leader-G01",
            "队长 何永福",
            "13600000001",
            None,
            None,
            jh.code,
        ),
        DemoAccount(
            "clerk",
            "clerk",
            "Fq-clerk-2026",
            "clerk-0001",
            "店员 苏丽娟",
            "13500000001",
            None,
            None,
            jh.code,
        ),
        DemoAccount(
            "admin", "admin", "Fq-admin-2026", "admin-0001", "管理员", None, None, None, None
        ),
        DemoAccount(
            "partner",
            "judicial",
            "Fq-judicial-2026",
            "ptn-jo-0001",
            "调解员 马玉兰",
            "13400000001",
            None,
            None,
            None,
            f"JO-{jh.station_code}",
        ),
        DemoAccount(
            "partner",
            "village",
            "Fq-village-2026",
            "ptn-vc-0001",
            "村委会主任 杨海",
            "13400000002",
            None,
            None,
            jh.code,
            f"VC-{jh.code}",
        ),
    ]


def write_accounts_file(path: Path = ACCOUNTS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(a) for a in demo_accounts()]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_accounts_file()
