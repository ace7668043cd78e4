"""Data for the read-paths benchmark: cases and tasks by SQL, running workflows in Temporal."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from services.disputes.models import Case, Task
from shared.db import make_engine
from shared.demo import org
from shared.temporal import (
    SA_ASSIGNEE,
    SA_KIND,
    SA_STATION,
    SA_TROUBLE,
    connect,
    dispute_workflow_id,
)

OPEN_STAGE_MIX = [("assignment", 1), ("follow_up", 7), ("closure_approval", 1), ("return_visit", 1)]
TASK_KIND = {
    "assignment": "accept",
    "follow_up": "follow_up",
    "closure_approval": "closure_approval",
    "return_visit": "return_visit",
}
CLOSED_KINDS = ("accept", "follow_up", "follow_up", "follow_up", "closure_approval")
COLOURS = ("green", "green", "green", "yellow", "yellow", "red")


def _case(i: int, rnd: random.Random, now: datetime, stage: str, officers: Any) -> dict[str, Any]:
    o = org()
    v = o.villages[rnd.randrange(len(o.villages))]
    since = now - timedelta(hours=rnd.uniform(1, 24 * 40))
    allowed = timedelta(days=rnd.choice((3, 7, 15, 30)))
    closed = stage == "closed"
    return {
        "case_id": f"bench-{i:06d}",
        "case_no": f"FQB{i:06d}",
        "category": rnd.choice(("land", "family", "neighbour", "debt")),
        "description": "bench case",
        "village_code": v.code,
        "station_code": v.station_code,
        "township": v.township,
        "reporter_kind": "officer",
        "reporter_id": None,
        "reported_at": since - timedelta(days=1),
        "risk": {},
        "stage": stage,
        "colour": rnd.choice(COLOURS),
        "rules_fired": [],
        "assignee_id": rnd.choice(officers[v.station_code]),
        "stage_since": since,
        "stage_deadline": None if closed else since + allowed,
        "settlement": "settled" if closed else None,
        "closed_at": since if closed else None,
        "updated_at": since,
    }


def _task(c: dict[str, Any], n: int, kind: str, opened: datetime, open_: bool) -> dict[str, Any]:
    return {
        "task_id": f"{c['case_id']}-{n}",
        "case_id": c["case_id"],
        "kind": kind,
        "title": f"{kind} {c['case_no']}",
        "assignee_id": c["assignee_id"],
        "station_code": c["station_code"],
        "village_code": c["village_code"],
        "colour": c["colour"],
        "opened_at": opened,
        "due_at": opened + timedelta(days=3),
        "closed_at": None if open_ else opened + timedelta(hours=6),
    }


async def insert_cases(
    engine: AsyncEngine, open_cases: int, tasks: int, now: datetime
) -> dict[str, Any]:
    """`open_cases` live cases with one open task each, as many closed cases, and closed
    tasks spread over all cases until there are `tasks` tasks."""
    rnd = random.Random(12)
    officers: dict[str, list[str]] = {}
    for off in org().officers:
        officers.setdefault(off.station_code, []).append(off.user_id)
    stages = [s for s, w in OPEN_STAGE_MIX for _ in range(w)]
    cases = [_case(i, rnd, now, rnd.choice(stages), officers) for i in range(open_cases)]
    cases += [_case(open_cases + i, rnd, now, "closed", officers) for i in range(open_cases)]
    task_rows = [
        _task(c, 0, TASK_KIND[c["stage"]], c["stage_since"], True) for c in cases[:open_cases]
    ]
    n = 1
    while len(task_rows) < tasks:
        c = cases[rnd.randrange(len(cases))]
        task_rows.append(_task(c, n, rnd.choice(CLOSED_KINDS), c["reported_at"], False))
        n += 1
    async with engine.begin() as conn:
        for i in range(0, len(cases), 2000):
            await conn.execute(insert(Case), cases[i : i + 2000])
        for i in range(0, len(task_rows), 5000):
            await conn.execute(insert(Task), task_rows[i : i + 5000])
    by_station: dict[str, int] = {}
    for c in cases[:open_cases]:
        by_station[c["station_code"]] = by_station.get(c["station_code"], 0) + 1
    return {
        "cases": len(cases),
        "open_cases": open_cases,
        "tasks": len(task_rows),
        "open_tasks": open_cases,
        "officers_with_open_tasks": sorted({c["assignee_id"] for c in cases[:open_cases]}),
        "open_cases_by_station": by_station,
    }


async def start_workflows(address: str, url: str, trouble_every: int = 50) -> dict[str, int]:
    """One running (never worked) dispute workflow per open case; every `trouble_every`-th one
    carries the FqTrouble flag, as a case whose activity keeps failing would."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(Case.case_id, Case.station_code, Case.assignee_id).where(
                        Case.closed_at.is_(None)
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    client = await connect(address)
    sem = asyncio.Semaphore(32)

    async def one(i: int, case_id: str, station: str, assignee: str) -> None:
        pairs: list[SearchAttributePair[Any]] = [
            SearchAttributePair(SA_KIND, "dispute"),
            SearchAttributePair(SA_STATION, station),
            SearchAttributePair(SA_ASSIGNEE, assignee),
        ]
        if i % trouble_every == 0:
            pairs.append(SearchAttributePair(SA_TROUBLE, "apply"))
        sa = TypedSearchAttributes(pairs)
        async with sem:
            await client.start_workflow(
                "DisputeWorkflow",
                id=dispute_workflow_id(case_id),
                task_queue="bench-read-paths-nobody",
                search_attributes=sa,
            )

    await asyncio.gather(
        *(one(i, r.case_id, r.station_code, r.assignee_id) for i, r in enumerate(rows))
    )
    # visibility is eventually consistent: wait until the board's query sees them
    query = "FqKind = 'dispute' AND ExecutionStatus = 'Running'"
    for _ in range(100):
        if (await client.count_workflows(query)).count >= len(rows):
            break
        await asyncio.sleep(0.2)
    return {"running_workflows": len(rows), "flagged": len(range(0, len(rows), trouble_every))}
