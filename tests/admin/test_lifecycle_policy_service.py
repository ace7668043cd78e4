"""Lifecycle deadlines and cadences as data in the disputes service, on PostgreSQL and the real
Temporal server: validation names the field and the reason (a red cadence longer than yellow
is refused), the preview counts every effect on last month's cases under both policies (late
acceptances, follow-ups due and overdue, partner replies, closure approvals and return visits
overdue), a saved
version is given to the next case reported while a case reported before keeps its deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.disputes import lifecycle_policy as lp
from services.disputes.models import Case, Task, TimelineEntry
from shared.db import transaction
from tests.disputes.conftest import Service
from tests.helpers import poll
from tests.workflows.disputes.conftest import VILLAGE, intake
from workflows.disputes.config import load_lifecycle

BASE = "/internal/v1/admin/rules/lifecycle"
FILE = lp.file_deadlines(load_lifecycle()).model_dump()


def test_every_problem_names_its_field_and_reason() -> None:
    raw = {
        **FILE,
        "accept_minutes": {"red": 30, "yellow": 240},
        "follow_up_every_days": {"red": 5, "yellow": 3, "green": 7},
        "follow_up_grace_hours": {"red": "soon", "yellow": 24, "green": 48},
        "linkage_default_hours": 0,
        "return_visit_after_days": True,
        "closure_approval_hours": 24 * 31,
        "colour": "red",
    }
    with pytest.raises(lp.Invalid) as caught:
        lp.check_deadlines(raw)
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("colour", "unknown field colour"),
        ("accept_minutes", "give red, yellow and green"),
        ("follow_up_every_days.red", "red must not be longer than yellow, which is 3"),
        ("follow_up_grace_hours.red", "a number of hours, more than 0 and at most 720"),
        ("linkage_default_hours", "a number of hours, more than 0 and at most 2160"),
        ("closure_approval_hours", "a number of hours, more than 0 and at most 720"),
        ("return_visit_after_days", "a number of days, more than 0 and at most 365"),
    ]
    with pytest.raises(lp.Invalid, match=r"accept_minutes.green: a whole number of minutes"):
        lp.check_deadlines({**FILE, "accept_minutes": {"red": 30, "yellow": 240, "green": 1.5}})
    assert lp.check_deadlines(FILE).model_dump() == FILE


async def refused_with_422_and_nothing_stored(svc: Service) -> None:
    values = {**FILE, "follow_up_every_days": {"red": 4, "yellow": 3, "green": 7}}
    r = await svc.http.post(BASE, json={"values": values, "reason": "x", "author_id": "admin"})
    assert r.status_code == 422
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [
        (
            ["body", "values", "follow_up_every_days", "red"],
            "red must not be longer than yellow, which is 3",
        ),
        (["body", "reason"], "say why the deadlines change (5 to 500 characters)"),
    ]
    r = await svc.http.post(f"{BASE}/preview", json={"values": "fast"})
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [
        (["body", "values"], "send an object of deadlines")
    ]
    versions = (await svc.http.get(f"{BASE}/versions")).json()
    assert [(v["version"], v["values"]) for v in versions] == [(0, FILE)]


async def add_case(
    svc: Service, case_no: str, reported_days_ago: float, steps: list[tuple[float, str, str, str]]
) -> None:
    """A case reported some days ago with its timeline: (days ago, kind, stage, colour)."""
    now = datetime.now(UTC)
    at = now - timedelta(days=reported_days_ago)
    async with transaction(svc.runtime.factory) as s:
        s.add(
            Case(
                case_id=f"c-{case_no}",
                case_no=case_no,
                category="neighbours",
                description="x",
                village_code=VILLAGE.code,
                station_code=VILLAGE.station_code,
                township=VILLAGE.township,
                reporter_kind="resident",
                reporter_id=None,
                reported_at=at,
                risk={},
                stage=steps[-1][2],
                colour=steps[-1][3],
                rules_fired=[],
                assignee_id="off-1",
                stage_since=at,
                stage_deadline=None,
                settlement=None,
                closed_at=None,
                updated_at=at,
            )
        )
        await s.flush()
        for seq, (ago, kind, stage, colour) in enumerate(steps, start=1):
            s.add(
                TimelineEntry(
                    case_id=f"c-{case_no}",
                    seq=seq,
                    at=now - timedelta(days=ago),
                    kind=kind,
                    actor_id="off-1",
                    stage=stage,
                    colour=colour,
                    assignee_id="off-1",
                    note="",
                    data={},
                )
            )


FU = "follow_up"


async def add_tasks(
    svc: Service, case_no: str, tasks: list[tuple[str, float, float, float]]
) -> None:
    """The case's tasks: (kind, opened days ago, hours given, hours until done)."""
    now = datetime.now(UTC)
    async with transaction(svc.runtime.factory) as s:
        for n, (kind, ago, given, done) in enumerate(tasks):
            opened = now - timedelta(days=ago)
            s.add(
                Task(
                    task_id=f"t-{case_no}-{n}",
                    case_id=f"c-{case_no}",
                    kind=kind,
                    title=kind,
                    assignee_id="off-1",
                    station_code=VILLAGE.station_code,
                    village_code=VILLAGE.code,
                    colour="green",
                    opened_at=opened,
                    due_at=opened + timedelta(hours=given),
                    closed_at=opened + timedelta(hours=done),
                )
            )


async def every_effect_is_previewed(svc: Service) -> None:
    """A green case accepted in 3 hours, two partner requests (the default 72 hours, answered
    in 80; 10 hours agreed with the partner, answered in 20), a closure approved in 30 hours,
    the return visit made 11 days after closure."""
    await add_case(
        svc,
        "T1",
        14,
        [
            (14, "assigned", "assignment", "green"),
            (13.9, "accepted", FU, "green"),
            (13.5, "closure_proposed", "closure_approval", "green"),
            (12, "closure_approved", "return_visit", "green"),
            (1, "return_visit_done", "closed", "green"),
        ],
    )
    await add_tasks(
        svc,
        "T1",
        [
            ("accept", 14, 24, 3),
            ("linkage", 13.8, 72, 80),
            ("linkage", 13.7, 10, 20),
            ("closure_approval", 13.5, 24, 30),
        ],
    )
    proposed = {
        **FILE,
        "accept_minutes": {"red": 30, "yellow": 60, "green": 120},
        "linkage_default_hours": 96,
        "closure_approval_hours": 48,
        "return_visit_after_days": 5,
        "return_visit_grace_days": 7,
    }
    r = await svc.http.post(f"{BASE}/preview", json={"values": proposed})
    assert r.status_code == 200, r.text
    p = r.json()
    assert {e["effect"]: (e["current"], e["proposed"]) for e in p["effects"]} == {
        "accept_late": (0, 1),  # 3 hours against 24, then 2
        "follow_up_due": (1, 1),  # G1's only, as before
        "follow_up_overdue": (1, 1),
        "linkage_overdue": (2, 1),  # 80 hours against 72, then 96; the agreed 10 stay
        "closure_approval_overdue": (1, 0),
        "return_visit_due": (1, 1),
        "return_visit_overdue": (1, 0),  # 11 days against 7 + 3, then 5 + 7
    }
    assert (p["missed_current"], p["missed_proposed"]) == (5, 3)
    assert [(c["case_no"], c["current"], c["proposed"], c["effects"]) for c in p["changed"]] == [
        (
            "T1",
            4,
            2,
            ["accept_late", "linkage_overdue", "closure_approval_overdue", "return_visit_overdue"],
        )
    ]


async def test_refused_previewed_saved_and_given_to_the_next_case(svc: Service) -> None:
    await refused_with_422_and_nothing_stored(svc)
    # green, visits 6 and 9.5 days apart, the last 4.5 days ago. The file (every 7 days, 48 h
    # grace): one visit due, late. Every 3 days with 24 h grace: three due, all late.
    await add_case(
        svc,
        "G1",
        20,
        [
            (20, "reported", "screening", "green"),
            (20, "accepted", FU, "green"),
            (14, FU, FU, "green"),
            (4.5, FU, FU, "green"),
        ],
    )
    # red, its closure proposed within hours of acceptance: nothing due either way
    await add_case(
        svc,
        "R1",
        10,
        [(10, "accepted", FU, "red"), (9.8, "closure_proposed", "closure_approval", "red")],
    )
    # outside the month; with it, its visit never made is late too
    await add_case(svc, "OLD", 45, [(45, "accepted", FU, "green")])
    proposed = {
        **FILE,
        "follow_up_every_days": {"red": 1, "yellow": 3, "green": 3},
        "follow_up_grace_hours": {"red": 12, "yellow": 24, "green": 24},
    }
    r = await svc.http.post(f"{BASE}/preview", json={"values": proposed})
    assert r.status_code == 200, r.text
    p = r.json()
    await every_effect_is_previewed(svc)
    assert (p["cases"], p["current_version"]) == (2, 0)
    assert (p["follow_ups_current"], p["overdue_current"]) == (1, 1)
    assert (p["follow_ups_proposed"], p["overdue_proposed"]) == (3, 3)
    assert [(c["case_no"], c["current"], c["proposed"]) for c in p["changed"]] == [("G1", 1, 3)]
    same = (await svc.http.post(f"{BASE}/preview?days=60", json={"values": FILE})).json()
    assert (same["cases"], same["overdue_current"], same["changed_total"]) == (4, 2, 0)
    assert (await svc.http.get(BASE)).json()["version"] == 0, "a preview stores nothing"
    await saved_version_is_given_to_the_next_case(svc)


async def accept_deadline(svc: Service, case_id: str) -> timedelta:
    async def task() -> Task | None:
        async with svc.runtime.factory() as s:
            found = await s.execute(select(Task).where(Task.case_id == case_id))
            return found.scalars().first()

    t = await poll(task, lambda t: t is not None, 20)
    assert t is not None and t.kind == "accept" and t.due_at is not None
    return t.due_at - t.opened_at


async def report(svc: Service, household: str) -> str:
    body: dict[str, Any] = intake(households=[household]).model_dump(mode="json")
    r = await svc.http.post("/internal/v1/cases", json=body)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def saved_version_is_given_to_the_next_case(svc: Service) -> None:
    before = await report(svc, "hh-p1")  # green: 24 hours to accept (the file)
    values = {**FILE, "accept_minutes": {"red": 15, "yellow": 60, "green": 120}}
    body = {"values": values, "reason": "绿色案件两小时内接单", "author_id": "admin"}
    saved = await svc.http.post(BASE, json=body)
    assert saved.status_code == 201, saved.text
    assert (saved.json()["version"], saved.json()["author_id"]) == (1, "admin")
    assert saved.json()["reason"] == "绿色案件两小时内接单"
    assert saved.json()["values"]["accept_minutes"] == {"red": 15, "yellow": 60, "green": 120}
    versions = (await svc.http.get(f"{BASE}/versions")).json()
    assert [v["version"] for v in versions] == [1, 0]
    assert (await svc.http.get(f"{BASE}/versions/1")).json()["values"] == values
    assert (await svc.http.get(f"{BASE}/versions/7")).status_code == 404

    after = await report(svc, "hh-p2")
    assert await accept_deadline(svc, after) == timedelta(minutes=120)
    assert await accept_deadline(svc, before) == timedelta(minutes=1440)
