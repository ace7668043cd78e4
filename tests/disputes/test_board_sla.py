"""Truthful SLA figures on the board: lateness is measured against the current window (since
the last step that reset it), and the figures travel as fields, not as words to parse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.disputes import board
from services.disputes.models import Case, TimelineEntry
from tests.disputes.conftest import Service
from tests.workflows.disputes.conftest import ROOM, VILLAGE

NOW = datetime.now(UTC).replace(microsecond=0)
IDLE = timedelta(days=30)


def red_case(stage_since: datetime, deadline: datetime) -> Case:
    case_id = uuid.uuid4().hex[:16]
    return Case(
        case_id=case_id,
        case_no=f"T-{case_id[:8]}",
        category="neighbours",
        description="宅基地边界",
        village_code=VILLAGE.code,
        station_code=VILLAGE.station_code,
        township=VILLAGE.township,
        reporter_kind="officer",
        reporter_id=None,
        reported_at=stage_since - timedelta(hours=1),
        risk={},
        stage="follow_up",
        colour="red",
        rules_fired=["threats"],
        assignee_id=ROOM.officer_ids[0],
        stage_since=stage_since,
        stage_deadline=deadline,
        settlement=None,
        closed_at=None,
        updated_at=NOW - timedelta(minutes=1),
    )


def entry(case: Case, seq: int, kind: str, at: datetime) -> TimelineEntry:
    return TimelineEntry(
        case_id=case.case_id,
        seq=seq,
        at=at,
        kind=kind,
        actor_id=ROOM.officer_ids[0],
        stage=case.stage,
        colour=case.colour,
        assignee_id=case.assignee_id,
        note="",
        data={},
    )


async def test_followed_up_on_time_shows_no_alarm_and_a_late_one_does(svc: Service) -> None:
    # accepted 7 days ago; followed up one minute ago; the next visit is due in 2 days
    on_time = red_case(NOW - timedelta(days=7), NOW + timedelta(days=2))
    # accepted 7 days ago and never visited since: 7 of the 8 days of its window are gone
    late = red_case(NOW - timedelta(days=7), NOW + timedelta(days=1))
    async with svc.runtime.factory.begin() as s:
        s.add_all([on_time, late])
        await s.flush()
        s.add_all(
            [
                entry(on_time, 1, "accepted", NOW - timedelta(days=7)),
                entry(on_time, 2, "follow_up", NOW - timedelta(minutes=1)),
                entry(late, 1, "accepted", NOW - timedelta(days=7)),
                entry(late, 2, "follow_up_due", NOW - timedelta(hours=2)),
            ]
        )
    async with svc.runtime.factory() as s:
        rows = await board.business_stuck(s, now=NOW, station=VILLAGE.station_code, idle=IDLE)
    by_case = {r.case_id: r for r in rows}
    assert on_time.case_id not in by_case, "a case followed up on time shows no alarm"
    row = by_case[late.case_id]
    assert (row.level, row.code, row.used_pct) == ("amber", "nearly", 88)
    assert row.window_start == NOW - timedelta(days=7)
    assert row.deadline == NOW + timedelta(days=1)
    assert (row.stage, row.colour) == ("follow_up", "red")  # the board shows the grade too

    # the same two an hour after their deadlines: both red, from their deadlines
    async with svc.runtime.factory() as s:
        later = await board.business_stuck(
            s, now=NOW + timedelta(days=2, hours=1), station=VILLAGE.station_code, idle=IDLE
        )
    codes = {r.case_id: (r.level, r.code, r.since) for r in later}
    assert codes[late.case_id] == ("red", "breached", NOW + timedelta(days=1))
    assert codes[on_time.case_id] == ("red", "breached", NOW + timedelta(days=2))

    r = await svc.http.get("/internal/v1/stuck", params={"station": VILLAGE.station_code})
    [shown] = [i for i in r.json()["items"] if i["case_id"] == late.case_id]
    assert shown["code"] == "nearly" and isinstance(shown["used_pct"], int)
