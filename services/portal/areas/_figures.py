"""The supervisors' figures page's data: the services' figures, shaped into charts.

Everything shown is a message id (the chart draws it in the page's language) or data (months,
township and village names, group names); no raw code reaches the page."""

from __future__ import annotations

from typing import Any

from services.portal.areas import _disputes_backend as backend
from services.portal.areas._appointments_backend import WAY_LABELS
from services.portal.areas._disputes_labels import COLOURS as COLOUR_LABELS
from services.portal.areas._disputes_labels import STAGES as STAGE_LABELS
from services.portal.charts import COLOURS, ChartSpec
from services.portal.deps import ServiceClients, User
from shared.contracts.disputes_read import Figures

COLOUR_ORDER = ("red", "yellow", "green")
STAGE_ORDER = ("screening", "assignment", "follow_up", "closure_approval", "return_visit")


def _numbers(data: Any) -> dict[str, float]:
    if not isinstance(data, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in data.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def _rows(data: Any) -> list[dict[str, Any]]:
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def _pivot(data: Any) -> dict[str, dict[str, float]]:
    """{outer: {inner: n}} -> {inner: {outer: n}}: one series per inner key."""
    out: dict[str, dict[str, float]] = {}
    if isinstance(data, dict):
        for outer, values in data.items():
            for k, v in _numbers(values).items():
                out.setdefault(k, {})[str(outer)] = v
    return out


def _colour_series(
    by_colour: dict[str, dict[str, float]],
) -> list[tuple[str, dict[str, float], str]]:
    return [
        (COLOUR_LABELS.get(c, c), by_colour[c], COLOURS[c]) for c in COLOUR_ORDER if c in by_colour
    ]


def _plain(keys: list[str]) -> list[tuple[str, str]]:
    return [(k, k) for k in keys]


def disputes_charts(fig: Figures, station_towns: dict[str, str]) -> list[ChartSpec]:
    open_by = {
        c: {t: float(n) for t, n in v.items()} for c, v in fig.open_by_colour_township.items()
    }
    totals: dict[str, float] = {}
    for towns in open_by.values():
        for town, n in towns.items():
            totals[town] = totals.get(town, 0.0) + n
    reported = fig.reported_per_month_colour
    durations = fig.stage_durations
    stages = [s for s in STAGE_ORDER if s in durations]
    settled = {m: float(n) for m, n in fig.settled_per_month.items()}
    breaches = {s: float(n) for s, n in fig.sla_breaches_per_station.items()}
    return [
        ChartSpec(
            "open",
            "Open cases by colour and township",
            "Open disputes per township, split by their warning colour.",
            _plain(sorted(totals, key=lambda t: (-totals[t], t))),
            _colour_series(open_by),
            stacked=True,
        ),
        ChartSpec(
            "trend",
            "Cases reported per month by colour",
            "How many disputes were reported each month, by their warning colour now.",
            _plain(sorted(reported)),
            _colour_series(_pivot(reported)),
            stacked=True,
        ),
        ChartSpec(
            "durations",
            "Stage durations in hours (median and 90th percentile)",
            "How long cases stayed in each stage of the lifecycle, in hours.",
            [(s, STAGE_LABELS.get(s, s)) for s in stages],
            [
                (
                    "Median",
                    {s: float(d.median_hours or 0) for s, d in durations.items()},
                    "",
                ),
                (
                    "90th percentile",
                    {s: float(d.p90_hours or 0) for s, d in durations.items()},
                    "",
                ),
            ],
            translate_labels=True,
        ),
        ChartSpec(
            "settled",
            "Cases settled per month",
            "Disputes closed with a settlement, per month.",
            _plain(sorted(settled)),
            [("Cases settled", settled, COLOURS["green"])],
        ),
        ChartSpec(
            "sla",
            "SLA breaches per station",
            "Deadlines the system escalated because they passed, per police station.",
            [
                (code, station_towns.get(code, code))
                for code in sorted(breaches, key=lambda c: (-breaches[c], c))
            ],
            [("SLA breaches", breaches, COLOURS["red"])],
        ),
    ]


def appointments_charts(fig: dict[str, Any]) -> list[ChartSpec]:
    served = fig.get("served_per_month") or {}
    by_way = _pivot(served)
    return [
        ChartSpec(
            "served",
            "Services delivered per month",
            "Bookings served, online applications approved and door-to-door visits done, per"
            " month and way.",
            _plain(sorted(served)),
            [(WAY_LABELS[w], by_way[w], "") for w in WAY_LABELS if w in by_way],
            stacked=True,
        )
    ]


def points_charts(fig: dict[str, Any]) -> list[ChartSpec]:
    months = _rows(fig.get("months"))
    villages = _rows(fig.get("villages"))
    groups = {
        str(g.get("key")): str(g.get("name") or g.get("key")) for g in _rows(fig.get("groups"))
    }
    hours = _rows(fig.get("patrol_hours_by_group"))
    return [
        ChartSpec(
            "points-months",
            "Points issued and redeemed per month",
            "Points residents earned and points they spent at the village shops, per month.",
            _plain([str(m.get("month")) for m in months]),
            [
                ("Issued", {str(m.get("month")): float(m.get("issued") or 0) for m in months}, ""),
                (
                    "Redeemed",
                    {str(m.get("month")): float(m.get("redeemed") or 0) for m in months},
                    "",
                ),
            ],
        ),
        ChartSpec(
            "points-villages",
            "Points earned by village",
            "The villages whose residents earned the most points.",
            [(str(v.get("key")), str(v.get("name") or v.get("key"))) for v in villages],
            [("Points", {str(v.get("key")): float(v.get("points") or 0) for v in villages}, "")],
        ),
        ChartSpec(
            "patrol-hours",
            "Patrol hours by volunteer group",
            "Co-signed volunteer patrol hours, per group.",
            [(str(h.get("key")), groups.get(str(h.get("key")), str(h.get("key")))) for h in hours],
            [("Hours", {str(h.get("key")): float(h.get("hours") or 0) for h in hours}, "")],
        ),
    ]


def facts(fig: dict[str, Any], keys: tuple[str, ...]) -> list[tuple[str, float]]:
    return [
        (k, fig[k])
        for k in keys
        if isinstance(fig.get(k), int | float) and not isinstance(fig.get(k), bool)
    ]


async def figures_context(clients: ServiceClients, user: User) -> dict[str, Any]:
    station = backend.supervised_station(user)
    params = {"station": station} if station else {}
    disputes = await backend.dispute_figures(clients, user, **params)
    appointments = await backend.figures(clients.appointments, user, **params)
    points = await backend.figures(clients.points, user, **params)
    towns = {
        v.station_code: v.township
        for v in await backend.villages(clients, user, None)
        if v.township
    }
    sections = []
    if appointments:
        keys = (
            "served_total",
            "average_wait_days",
            "promised_time_compliance",
            "open_applications",
        )
        sections.append(
            ("Appointments", facts(appointments, keys), appointments_charts(appointments))
        )
    if points:
        sections.append(("Points", facts(points, ("patrol_hours",)), points_charts(points)))
    return {
        "figures": disputes,
        "dispute_charts": disputes_charts(disputes, towns) if disputes else [],
        "sections": sections,
    }
