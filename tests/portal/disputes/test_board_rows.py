"""The stuck board's row handling and the figures' chart data (pure functions)."""

from __future__ import annotations

from typing import Any

from services.portal.areas.disputes_supervision import bars, grouped, stuck_rows
from shared.contracts.disputes_read import StuckRow

ROWS: list[dict[str, Any]] = [
    {
        "case_id": "t1",
        "case_no": None,
        "station_code": None,
        "assignee_id": None,
        "kind": "technical",
        "level": "red",
        "why": "activity dispute_register at attempt 4: database is locked",
        "since": None,
        "stage": None,  # a technical row has no stage yet: the row must stay on the board
    },
    {
        "case_id": "b1",
        "case_no": "FQ2026-B1",
        "station_code": "SYZ01",
        "assignee_id": "off-0002",
        "kind": "business",
        "level": "amber",
        "why": "follow_up: 80% of the allowed time used",
        "since": "2026-11-28T10:00:00+00:00",
        "code": "nearly",
        "used_pct": 80,
    },
    {
        "case_id": "b2",
        "case_no": "FQ2026-B2",
        "station_code": "SYZ01",
        "assignee_id": "off-0002",
        "kind": "business",
        "level": "red",
        "why": "follow_up past its deadline 2026-11-28T09:00:00+00:00",
        "since": "2026-11-28T09:00:00+00:00",
        "code": "breached",
    },
    {
        "case_id": "b3",
        "case_no": "FQ2026-B3",
        "station_code": "SYZ01",
        "assignee_id": "off-0001",
        "kind": "business",
        "level": "amber",
        "why": "no progress",
        "since": "2026-11-20T09:00:00+00:00",
        "code": "idle",
    },
]


def board(rows: list[dict[str, Any]]) -> list[StuckRow]:
    """The rows as the portal reads the service's answer (its shared contract)."""
    return [StuckRow.model_validate(r) for r in rows]


def test_rows_keep_every_kind_and_say_why() -> None:
    """The figures come as fields: the English `why` is detail, never parsed."""
    rows = {r.case_id: r for r in stuck_rows(board(ROWS))}
    assert [(r.level, r.explain, r.used_pct) for r in rows.values()] == [
        ("technical", "technical", None),
        ("amber", "nearly", 80),
        ("red", "breached", None),
        ("amber", "idle", None),
    ]
    assert rows["t1"].reason.endswith("database is locked")
    words_only = dict(ROWS[1], why="follow_up: 99% of the allowed time used", used_pct=80)
    assert stuck_rows(board([words_only]))[0].used_pct == 80


def test_business_rows_grouped_by_station_then_officer_red_first() -> None:
    business = [r for r in stuck_rows(board(ROWS)) if r.level != "technical"]
    groups = grouped(business)
    assert [(s, [(o, [r.case_id for r in rs]) for o, rs in by]) for s, by in groups] == [
        ("SYZ01", [("off-0001", ["b3"]), ("off-0002", ["b2", "b1"])])
    ]


def test_chart_data_from_nested_figures() -> None:
    assert bars({"red": {"头营镇": 2}, "green": {"头营镇": 1, "官厅镇": 3}}) == [
        ("red · 头营镇", 2.0),
        ("green · 头营镇", 1.0),
        ("green · 官厅镇", 3.0),
    ]
    assert bars([{"month": "2026-11", "issued": 30, "redeemed": 10}]) == [
        ("2026-11 · issued", 30.0),
        ("2026-11 · redeemed", 10.0),
    ]
    assert bars({"median_hours": None, "done": True, "n": 4}) == [("n", 4.0)]
