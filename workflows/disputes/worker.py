"""`python -m workflows.disputes.worker`: the Temporal worker of the dispute lifecycle."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from shared import migrate
from shared.config import DisputesSettings
from shared.db import make_engine, make_session_factory
from shared.logs import setup_logging
from shared.temporal import build_id, connect
from workflows.disputes.activities import DisputeActivities
from workflows.disputes.config import load_lifecycle
from workflows.disputes.screening import load_rules
from workflows.disputes.types import LifecycleConfig
from workflows.disputes.workflow import DisputeWorkflow

log = logging.getLogger("fengqiao.disputes.worker")
# Imported once for the whole worker instead of once per workflow the worker loads: the case's
# data types (pydantic models and constants, no state, no I/O). Re-building their validators
# for every case was more than half of the worker's CPU in a demo seeding (bench.demo_seeding)
# and 60 % of it in the lifecycle benchmark (bench.lifecycle). Determinism there is kept by the
# lint rule (TID251 bans the wall clock, randomness and I/O in types.py as in the logic) and by
# the replay gate; the workflow's logic modules are still imported inside the sandbox.
PASSED_THROUGH = ("workflows.disputes.types", "workflows.disputes.intake", "shared.stages")


def workflow_runner() -> SandboxedWorkflowRunner:
    """The default sandbox, with the data types passed through (sandbox.py's lookup then finds
    the one class of each name, the same inside the sandbox and out)."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)


def build_worker(
    client: Client,
    factory: async_sessionmaker[AsyncSession],
    *,
    task_queue: str,
    settings: DisputesSettings | None = None,
    config: LifecycleConfig | None = None,
) -> Worker:
    settings = settings or DisputesSettings()
    activities = DisputeActivities(
        factory,
        load_rules(settings.rules_file),
        config or load_lifecycle(settings.lifecycle_file),
    )
    # None: the SDK's defaults; a small machine sets fewer, so that a burst (the demo
    # county's seeding) queues at the server instead of every task slowing past its timeout
    return Worker(
        client,
        task_queue=task_queue,
        build_id=build_id(Path(__file__).resolve().parent),
        workflows=[DisputeWorkflow],
        activities=activities.all(),
        workflow_runner=workflow_runner(),
        max_concurrent_workflow_tasks=settings.worker_max_workflow_tasks,
        max_concurrent_activities=settings.worker_max_activities,
    )


async def run(settings: DisputesSettings) -> None:
    await asyncio.to_thread(migrate.upgrade, "disputes", settings.database_url)
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    worker = build_worker(
        client, make_session_factory(engine), task_queue=settings.task_queue, settings=settings
    )
    log.info("disputes worker polling %s", settings.task_queue)
    try:
        await worker.run()
    finally:
        await engine.dispose()


def main() -> None:
    settings = DisputesSettings()
    setup_logging("disputes-worker", settings.log_level, json_output=settings.log_json)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
