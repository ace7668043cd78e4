"""The technical side of the stuck board on the real Temporal dev server: a case whose workflow
task keeps failing (a bug, a non-deterministic change) is flagged by the server itself
(TemporalReportedProblems) and shows without anyone describing every running workflow."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.temporal import SA_COLOUR, SA_KIND, SA_STAGE, SA_STATION, dispute_workflow_id
from tests.disputes.conftest import Service
from tests.helpers import poll


@workflow.defn(name="BrokenDispute", sandboxed=False)
class BrokenDispute:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("a bug in the workflow code")


async def test_failing_workflow_task_shows_on_the_board(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    case_id = uuid.uuid4().hex[:16]
    queue = f"tq-broken-{uuid.uuid4().hex[:8]}"
    client = temporal_env.client
    attrs = TypedSearchAttributes(
        [
            SearchAttributePair(SA_KIND, "dispute"),
            SearchAttributePair(SA_STATION, "ZZZ99"),
            SearchAttributePair(SA_STAGE, "follow_up"),
            SearchAttributePair(SA_COLOUR, "yellow"),
        ]
    )
    async with Worker(client, task_queue=queue, workflows=[BrokenDispute]):
        handle = await client.start_workflow(
            BrokenDispute.run,
            id=dispute_workflow_id(case_id),
            task_queue=queue,
            search_attributes=attrs,
        )
        try:

            async def rows() -> Any:
                r = await svc.http.get("/internal/v1/stuck", params={"station": "ZZZ99"})
                assert r.status_code == 200
                return [i for i in r.json()["items"] if i["case_id"] == case_id]

            [row] = await poll(rows, lambda found: len(found) == 1, timeout=60)
            assert (row["kind"], row["level"], row["station_code"]) == ("technical", "red", "ZZZ99")
            assert row["why"].startswith("workflow task failing (attempt ")
            assert (row["stage"], row["colour"]) == ("follow_up", "yellow")
            other = await svc.http.get("/internal/v1/stuck", params={"station": "ZZZ98"})
            assert case_id not in [i["case_id"] for i in other.json()["items"]]
        finally:
            await handle.terminate()
