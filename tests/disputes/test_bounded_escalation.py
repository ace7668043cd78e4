"""Bounded escalation of an unaccepted case (time-skipping server): the first missed acceptance
tells the chief and reassigns, the second tells the county duty desk, later ones tell no one;
each officer is tried once, the rotation stops after the last, and the board says "not accepted
after N officers"."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from services.disputes import board
from shared.demo import org
from shared.tasks import COUNTY_DESK
from tests.helpers import poll
from tests.workflows.disputes.conftest import (
    CHIEF,
    VILLAGE,
    Harness,
    harness,
    intake,
    lifecycle,
    officer,
)

__all__ = ["harness", "lifecycle"]  # the workflow harness's fixtures, used here

STATION_OFFICERS = [o.user_id for o in org().officers if o.station_code == VILLAGE.station_code]
WINDOW = timedelta(hours=24, minutes=5)  # a green case's acceptance window, and a little


async def test_unaccepted_case_escalates_once_per_level_and_stops(harness: Harness) -> None:
    case_id = await harness.start(intake())
    v = await harness.wait_for(case_id, lambda v: v.stage == "assignment" and bool(v.assignee_id))
    assert v.assignee_id is not None
    offered: list[str | None] = [v.assignee_id]

    async def assignments() -> int:
        return (await harness.timeline(case_id)).count("assigned")

    while len(set(offered)) < len(STATION_OFFICERS) or offered[-1] not in offered[:-1]:
        before = await assignments()
        await harness.sleep(WINDOW)
        await poll(assignments, partial(int.__lt__, before))
        offered.append((await harness.view(case_id)).assignee_id)
        assert len(offered) <= len(STATION_OFFICERS) + 1, "the rotation goes on"

    tried = {o for o in offered if o is not None}
    assert tried == set(STATION_OFFICERS), "every officer of the station was tried"
    esc = [e for e in await harness.events(case_id) if e["routing_key"] == "dispute.escalated"]
    assert [(e["reason"], e.get("level")) for e in esc] == [
        ("not accepted within 1440 minutes", "station"),
        ("not accepted after 2 officers", "county"),
    ]
    assert {e["chief_id"] for e in esc} == {CHIEF.user_id}
    kinds = await harness.timeline(case_id)
    assert kinds.count("assigned") == len(STATION_OFFICERS) + 1, "the rotation stopped"
    # nothing more happens however long it waits: the supervisors decide
    await harness.sleep(WINDOW * 3)
    assert await harness.timeline(case_id) == kinds
    await harness.assert_consistent(case_id)

    deadline = (await harness.view(case_id)).stage_deadline
    assert deadline is not None
    async with harness.factory() as s:
        rows = await board.business_stuck(
            s,
            now=deadline + timedelta(minutes=1),
            station=VILLAGE.station_code,
            idle=timedelta(days=30),
        )
    [row] = [r for r in rows if r.case_id == case_id]
    assert (row.code, row.officers_tried) == ("not_accepted", len(STATION_OFFICERS))
    assert row.why == f"not accepted after {len(STATION_OFFICERS)} officers"

    # the county-level escalation reached the county duty desk: a task of its own, still open
    desk = [t for t in await harness.tasks(case_id, open_only=True) if t.kind == "county_review"]
    assert [(t.assignee_id, t.station_code) for t in desk] == [(COUNTY_DESK, VILLAGE.station_code)]
    # the desk has the last officer accept it: the desk's task is done with the acceptance
    last = (await harness.view(case_id)).assignee_id
    assert last is not None
    v = await harness.act(case_id, "accept", officer(last))
    assert v.stage == "follow_up"
    open_kinds = [t.kind for t in await harness.tasks(case_id, open_only=True)]
    assert "county_review" not in open_kinds and "accept" not in open_kinds
    await harness.assert_consistent(case_id)
