"""Screening rules as data in the disputes service, on PostgreSQL and the real Temporal server:
validation names the field and the reason, the preview counts recent cases under both rule
sets, a saved version grades the next case while a running case keeps its version."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from services.disputes import screening_rules as sr
from services.disputes.models import Case, CaseHousehold
from shared.db import transaction
from tests.disputes.conftest import Service
from tests.workflows.disputes.conftest import ROOM, VILLAGE, intake, officer
from workflows.disputes import client as dc
from workflows.disputes.screening import load_rules
from workflows.disputes.types import AcceptInput, FollowUpInput, RiskFacts

BASE = "/internal/v1/admin/rules/screening"


def stricter(rules: dict[str, Any]) -> dict[str, Any]:
    """The file's rules with "five or more people" raised from yellow to red."""
    out = {**rules, "rules": [dict(r) for r in rules["rules"]]}
    for r in out["rules"]:
        if r["id"] == "several_people":
            r["colour"] = "red"
    return out


def test_every_problem_names_its_field_and_reason() -> None:
    raw = {
        "default": "blue",
        "rules": [
            {"id": "Bad Id", "colour": "red", "label": "x", "when": {"fact": "threats"}},
            {"id": "ok_one", "colour": "pink", "label": "", "when": {"fact": "moon", "gte": 1}},
            {"id": "ok_one", "colour": "red", "label": "y", "when": {"fact": "threats", "gte": 1}},
            {
                "id": "n",
                "colour": "red",
                "label": "z",
                "when": {"fact": "people_involved", "gte": -1},
            },
            {
                "id": "extra",
                "colour": "red",
                "label": "z",
                "why": 1,
                "when": {"fact": "weapons", "equals": True},
            },
        ],
    }
    with pytest.raises(sr.Invalid) as caught:
        sr.check_rules(raw)
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("default", "the colour is red, yellow or green"),
        ("rules.0.id", "an id is 2 to 48 lower-case letters, digits or _, starting with a letter"),
        ("rules.0.when", "give exactly one of equals and gte"),
        ("rules.1.colour", "the colour is red, yellow or green"),
        ("rules.1.label", "a label has 1 to 120 characters"),
        ("rules.1.when.fact", "unknown fact moon"),
        ("rules.2.id", "the id ok_one is used by another rule"),
        ("rules.2.when.gte", "a yes/no fact takes equals true or false"),
        ("rules.3.id", "an id is 2 to 48 lower-case letters, digits or _, starting with a letter"),
        ("rules.3.when.gte", "a number fact takes a whole number from 0 to 10000"),
        ("rules.4.why", "unknown field why"),
    ]
    assert sr.check_rules(load_rules().model_dump()) == load_rules()


async def test_bad_rules_are_refused_with_422_and_nothing_is_stored(svc: Service) -> None:
    r = await svc.http.post(
        BASE,
        json={"rules": {"default": "green", "rules": []}, "reason": "no", "author_id": "admin"},
    )
    assert r.status_code == 422
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [
        (["body", "rules", "rules"], "give 1 to 200 rules"),
        (["body", "reason"], "say why the rules change (5 to 500 characters)"),
    ]
    versions = (await svc.http.get(f"{BASE}/versions")).json()
    assert [v["version"] for v in versions] == [0]


async def add_case(
    svc: Service, case_no: str, days_ago: float, households: list[str], **risk: Any
) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
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
                risk=RiskFacts(**risk).model_dump(),
                stage="follow_up",
                colour="green",
                rules_fired=[],
                assignee_id=None,
                stage_since=at,
                stage_deadline=None,
                settlement=None,
                closed_at=None,
                updated_at=at,
            )
        )
        await s.flush()
        for h in households:
            s.add(CaseHousehold(case_id=f"c-{case_no}", household_id=h, name=h))


async def test_preview_counts_last_months_cases_under_both_rule_sets(svc: Service) -> None:
    await add_case(svc, "P1", 20, ["hh-a"], people_involved=6)  # yellow now, red proposed
    await add_case(svc, "P2", 10, ["hh-b"], threats=True)  # red either way
    await add_case(svc, "P3", 5, ["hh-c"])  # green
    await add_case(svc, "P4", 4, ["hh-a"])  # hh-a had P1 16 days before: yellow
    await add_case(svc, "OLD", 45, ["hh-z"], people_involved=8)  # outside the month
    current = (await svc.http.get(BASE)).json()
    assert current["version"] == 0
    r = await svc.http.post(f"{BASE}/preview", json={"rules": stricter(current["rules"])})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["cases"] == 4
    assert p["current"] == {"red": 1, "yellow": 2, "green": 1}
    assert p["proposed"] == {"red": 2, "yellow": 1, "green": 1}
    assert p["changed_total"] == 1
    [changed] = p["changed"]
    assert (changed["case_no"], changed["current"], changed["proposed"]) == ("P1", "yellow", "red")
    wider = (
        await svc.http.post(f"{BASE}/preview?days=60", json={"rules": current["rules"]})
    ).json()
    assert (wider["cases"], wider["changed_total"]) == (5, 0)


async def test_a_saved_version_grades_the_next_case_and_running_cases_keep_theirs(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    client = temporal_env.client
    me = officer(ROOM.officer_ids[0])
    running = await dc.start_case(
        client, intake(people_involved=6, households=["hh-r1"]), task_queue=svc.settings.task_queue
    )
    view = await poll_view(client, running, lambda v: v.assignee_id is not None)
    assert view.colour == "yellow"

    current = (await svc.http.get(BASE)).json()
    body = {
        "rules": stricter(current["rules"]),
        "reason": "群体纠纷苗头提前预警",
        "author_id": "admin",
    }
    saved = await svc.http.post(BASE, json=body)
    assert saved.status_code == 201, saved.text
    assert (saved.json()["version"], saved.json()["author_id"]) == (1, "admin")
    assert saved.json()["reason"] == "群体纠纷苗头提前预警"
    versions = (await svc.http.get(f"{BASE}/versions")).json()
    assert [v["version"] for v in versions] == [1, 0]
    assert (await svc.http.get(BASE)).json()["version"] == 1

    new = await dc.start_case(
        client, intake(people_involved=6, households=["hh-n1"]), task_queue=svc.settings.task_queue
    )
    assert (await poll_view(client, new, lambda v: v.assignee_id is not None)).colour == "red"

    # re-screening the running case on a new fact uses the version it came in with
    assignee = view.assignee_id or me.user_id
    await dc.perform(client, running, "accept", AcceptInput(), officer(assignee), "a1")
    await dc.perform(
        client,
        running,
        "follow-up",
        FollowUpInput(done="入户走访", outcome="progress", risk=RiskFacts(people_involved=7)),
        officer(assignee),
        "f1",
    )
    after = await poll_view(client, running, lambda v: v.stage == "follow_up")
    assert after.colour == "yellow"


async def poll_view(client: Any, case_id: str, pred: Any, timeout: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            v = await dc.view(client, case_id)
            if pred(v):
                return v
        except Exception:  # still registering
            v = None
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"case {case_id}: not reached, last {v}")
        await asyncio.sleep(0.1)
