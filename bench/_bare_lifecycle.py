"""The bare baseline of benchmark 1: a Temporal workflow of the dispute lifecycle's shape
(5 activities, 2 signals, no I/O). `python -m bench._bare_lifecycle ADDRESS TASK_QUEUE` runs
its worker as its own process, like the real disputes worker."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

STEP = {"start_to_close_timeout": timedelta(seconds=10)}


@activity.defn
async def bare_step(name: str) -> str:
    return name


@workflow.defn(name="BareLifecycle")
class BareLifecycle:
    def __init__(self) -> None:
        self.accepted = False
        self.followed_up = False

    @workflow.run
    async def run(self, case_id: str) -> str:
        for name in ("load_config", "register", "pick_officer"):
            await workflow.execute_activity(bare_step, name, **STEP)  # type: ignore[call-overload]
        await workflow.wait_condition(lambda: self.accepted)
        await workflow.execute_activity(bare_step, "accepted", **STEP)  # type: ignore[call-overload]
        await workflow.wait_condition(lambda: self.followed_up)
        await workflow.execute_activity(bare_step, "closed", **STEP)  # type: ignore[call-overload]
        return case_id

    @workflow.signal
    def accept(self) -> None:
        self.accepted = True

    @workflow.signal
    def follow_up(self) -> None:
        self.followed_up = True


async def run_one(client: Client, task_queue: str, case_id: str) -> None:
    handle = await client.start_workflow(
        BareLifecycle.run, case_id, id=f"bare-{case_id}", task_queue=task_queue
    )
    await handle.signal(BareLifecycle.accept)
    await handle.signal(BareLifecycle.follow_up)
    await handle.result()


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    worker = Worker(
        client, task_queue=task_queue, workflows=[BareLifecycle], activities=[bare_step]
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
