"""The supervisors' figures page's data: the services' figures, shaped into charts.

Everything shown is a message id (the chart draws it in the page's language) or data (months,
township and village names, group names); no raw code reaches the page."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from fastapi import HTTPException

from services.portal.areas import _appointments_backend as ab
from services.portal.areas import _disputes_backend as backend
from services.portal.areas import _points_backend as pb
from services.portal.areas._appointments_backend import WAY_LABELS
from services.portal.areas._disputes_labels import COLOURS as COLOUR_LABELS
from services.portal.areas._disputes_labels import STAGES as STAGE_LABELS
from services.portal.charts import COLOURS, ChartSpec
from services.portal.deps import ServiceClients, User
from shared.contracts.appointments import DeskFiguresRead
from shared.contracts.disputes_read import Figures
from shared.contracts.points import FiguresRead

COLOUR_ORDER = ("red", "yellow", "green")
T = TypeVar("T")
STAGE_ORDER = ("screening", "assignment", "follow_up", "closure_approval", "return_visit")


def _pivot(data: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, float]]:
    """{outer: {inner: n}} -> {inner: {outer: n}}: one series per inner key."""
    out: dict[str, dict[str, float]] = {}
    for outer, values in data.items():
        for k, v in values.items():
            out.setdefault(k, {})[outer] = float(v)
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


def appointments_charts(fig: DeskFiguresRead) -> list[ChartSpec]:
    served = fig.served_per_month
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


def points_charts(fig: FiguresRead) -> list[ChartSpec]:
    groups = {g.key: g.name or g.key for g in fig.groups}
    return [
        ChartSpec(
            "points-months",
            "Points issued and redeemed per month",
            "Points residents earned and points they spent at the village shops, per month.",
            _plain([m.month for m in fig.months]),
            [
                ("Issued", {m.month: float(m.issued) for m in fig.months}, ""),
                ("Redeemed", {m.month: float(m.redeemed) for m in fig.months}, ""),
            ],
        ),
        ChartSpec(
            "points-villages",
            "Points earned by village",
            "The villages whose residents earned the most points.",
            [(v.key, v.name or v.key) for v in fig.villages],
            [("Points", {v.key: float(v.points) for v in fig.villages}, "")],
        ),
        ChartSpec(
            "patrol-hours",
            "Patrol hours by volunteer group",
            "Co-signed volunteer patrol hours, per group.",
            [(h.key, groups.get(h.key, h.key)) for h in fig.patrol_hours_by_group],
            [("Hours", {h.key: h.hours for h in fig.patrol_hours_by_group}, "")],
        ),
    ]


def facts(pairs: tuple[tuple[str, float | None], ...]) -> list[tuple[str, float]]:
    """The figures the service has (a share or an average is None before anything counts)."""
    return [(k, v) for k, v in pairs if v is not None]


async def _or_none(figures: Awaitable[T]) -> T | None:
    """A service's figures, or None when it cannot answer (the page shows the others)."""
    try:
        return await figures
    except HTTPException:
        return None


async def figures_context(clients: ServiceClients, user: User) -> dict[str, Any]:
    station = backend.supervised_station(user)
    params = {"station": station} if station else {}
    disputes = await backend.dispute_figures(clients, user, **params)
    appointments = await _or_none(ab.figures(clients, user))
    points = await _or_none(pb.call(clients, "GET", "/figures", user, FiguresRead))
    towns = {
        v.station_code: v.township
        for v in await backend.villages(clients, user, None)
        if v.township
    }
    sections = []
    if appointments is not None:
        shown = facts(
            (
                ("served_total", appointments.served_total),
                ("average_wait_days", appointments.average_wait_days),
                ("promised_time_compliance", appointments.promised_time_compliance),
                ("open_applications", appointments.open_applications),
            )
        )
        sections.append(("Appointments", shown, appointments_charts(appointments)))
    if points is not None:
        shown = facts((("patrol_hours", points.patrol_hours),))
        sections.append(("Points", shown, points_charts(points)))
    return {
        "figures": disputes,
        "dispute_charts": disputes_charts(disputes, towns) if disputes else [],
        "sections": sections,
    }
