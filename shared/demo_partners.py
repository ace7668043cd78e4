"""Demo partner organisations of the linkage (协调联动), at the demo org's shape: per township
its judicial office (司法所), women's federation (妇联) and government; per village its village
committee (村民委员会). Read by the disputes seeder (the disputes service owns them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shared.demo import org


@dataclass(frozen=True)
class PartnerOrg:
    """A partner organisation of the linkage and the villages it serves."""

    code: str
    kind: str
    name: str
    township: str
    station_code: str
    village_codes: tuple[str, ...]


# the township's own partners: code prefix, kind, name after the township's
TOWNSHIP_PARTNERS = (
    ("JO", "judicial_office", "司法所"),
    ("WF", "womens_federation", "妇联"),
    ("TG", "township_government", "人民政府"),
)


@cache
def partner_orgs() -> list[PartnerOrg]:
    """Per township its judicial office, women's federation and government; per village its
    village committee (村民委员会)."""
    o = org()
    out: list[PartnerOrg] = []
    for st in o.stations:
        served = tuple(v.code for v in o.villages if v.station_code == st.code)
        out += [
            PartnerOrg(
                f"{prefix}-{st.code}", kind, f"{st.township}{name}", st.township, st.code, served
            )
            for prefix, kind, name in TOWNSHIP_PARTNERS
        ]
    out += [
        PartnerOrg(
            f"VC-{v.code}",
            "village_committee",
            f"{v.name}村民委员会",
            v.township,
            v.station_code,
            (v.code,),
        )
        for v in o.villages
    ]
    return out


def partner_code_for(kind: str, village: str) -> str | None:
    """The code of the organisation of `kind` serving `village` (None for "other")."""
    v = org().by_village[village]
    prefix = {kind: prefix for prefix, kind, _ in TOWNSHIP_PARTNERS}.get(kind)
    if prefix is not None:
        return f"{prefix}-{v.station_code}"
    return f"VC-{v.code}" if kind == "village_committee" else None
