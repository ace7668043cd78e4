"""The demo county's plan: deterministic, every stage, colour and township, the demo
accounts' own station always included; the bookings' fill falls with the lead time."""

from __future__ import annotations

from datetime import UTC, datetime

from deploy.demo.desk import fill_share, offices
from deploy.demo.disputes import DEMO_PARTNERS, intake_body, plan
from deploy.demo.trouble import STUCK_KEY, down_partner
from shared.demo import org
from workflows.disputes.client import field_report_problem
from workflows.disputes.types import DisputeIntake


def test_plan_covers_every_township_stage_and_colour_and_is_the_same_each_time() -> None:
    full = plan(1.0)
    assert plan(1.0) == full and 400 <= len(full) <= 460
    townships = {(v.county_code, v.township) for v in org().villages}
    assert {(p.village.county_code, p.village.township) for p in full} == townships
    assert {p.target for p in full} == {
        "assignment",
        "follow_up",
        "visited",
        "late",
        "linkage",
        "closure_approval",
        "return_visit",
        "closed",
        "relapsed",
    }
    assert {p.colour for p in full} == {"red", "yellow", "green"}
    assert all(p.colour == "red" for p in full if p.target == "closure_approval")
    assert len({p.key for p in full}) == len(full)


def test_small_scale_keeps_the_demo_accounts_station_whole() -> None:
    small = plan(0.0)
    demo = [p for p in small if p.village.name == "蒋河村" and p.key.startswith("demo-")]
    assert len(demo) == 17 and len(small) == 20
    # the stuck case links the demo officer's case to the demo station's women's federation
    [stuck] = [p for p in small if p.key == STUCK_KEY]
    assert (stuck.village.name, stuck.target, DEMO_PARTNERS[stuck.key]) == (
        "蒋河村",
        "linkage",
        "womens_federation",
    )
    assert down_partner() == f"WF-{stuck.village.station_code}"
    assert {"late", "closure_approval", "assignment", "closed"} <= {p.target for p in demo}
    assert sum(p.resident_party is not None for p in demo) == 3


def test_every_intake_is_valid_and_late_ones_are_backdated_within_the_limit() -> None:
    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    for p in plan(0.3):
        intake = DisputeIntake.model_validate(intake_body(p, now=now))
        assert field_report_problem(intake, now=now) is None, p
        if p.target == "late":
            assert intake.reported_in_field_at is not None
            assert (now - intake.reported_in_field_at).days >= 10
        r = intake.risk
        facts = (r.threats, r.minors_involved or r.elderly_involved)
        assert (
            facts
            == {"red": (True, False), "yellow": (False, True), "green": (False, False)}[p.colour]
        ), p


def test_bookings_fill_most_of_tomorrow_and_little_of_the_week_after_next() -> None:
    assert fill_share(1) > 0.5 > fill_share(7) > fill_share(14) > 0
    o = org()
    assert offices(1.0)[0] == o.village_named("蒋河村").station_code
    # the demo station, its county's hall, five other stations; every hall from scale 2
    assert offices(1.0)[:2] == [o.village_named("蒋河村").station_code, "HYZ"]
    assert len(offices(1.0)) == 1 + 1 + 5 and len(offices(0.05)) == 2
    assert len(offices(2.0)) == 1 + 5 + 10
