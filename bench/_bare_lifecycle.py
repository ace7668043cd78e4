"""The bare baselines of benchmark 1, Temporal workflows without I/O: `BareLifecycle` (the first
baseline: 5 activities, 2 signals) and `SameShapeLifecycle`, which issues the same commands as
a real dispute history (activities, local activities, search-attribute upserts, updates, the
main loop's timer), read off that history by `shape_of`.
`python -m bench._bare_lifecycle ADDRESS TASK_QUEUE` runs the worker of both as its own
process, like the real disputes worker, with the project's data converter."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from shared.temporal import SA_KIND, SA_STAGE, connect

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
    client = await connect(address)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareLifecycle, SameShapeLifecycle],
        activities=[bare_step, shape_step],
    )
    await worker.run()


# --- the same-shape skeleton ------------------------------------------------------------------
# Phase 0 runs when the workflow starts, phase i in the i-th update; each letter one command of
# the real dispute workflow: "a" an activity, "l" a local activity, "s" a search-attribute
# upsert. `shape_of` reads the phases off a real history, so the skeleton issues what the real
# workflow issues, with none of its I/O or logic.
SHAPE_OPS = {"a", "l", "s"}


@dataclass
class ShapeInput:
    case_id: str
    phases: list[str]


@dataclass
class StepIn:
    n: int


@activity.defn
async def shape_step(name: str) -> str:
    return name


@workflow.defn(name="SameShapeLifecycle")
class SameShapeLifecycle:
    def __init__(self) -> None:
        self.done = 0
        self.phases: list[str] = []
        self.changed = False
        self.lock = asyncio.Lock()

    async def _phase(self, ops: str) -> None:
        for i, op in enumerate(ops):
            if op == "a":
                await workflow.execute_activity(shape_step, f"a{i}", **STEP)  # type: ignore[call-overload]
            elif op == "l":
                await workflow.execute_local_activity(shape_step, f"l{i}", **STEP)  # type: ignore[call-overload]
            else:
                attrs = [SA_KIND.value_set("dispute"), SA_STAGE.value_set(f"p{self.done}-{i}")]
                workflow.upsert_search_attributes(attrs)

    @workflow.run
    async def run(self, inp: ShapeInput) -> str:
        self.phases = inp.phases
        async with self.lock:
            await self._phase(inp.phases[0])
            self.done = 1
        # the real workflow's main loop: a timer to the next deadline, cancelled by each change
        while self.done < len(self.phases):
            self.changed = False
            try:
                await workflow.wait_condition(lambda: self.changed, timeout=timedelta(days=3))
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        return inp.case_id

    @workflow.update
    async def act(self, inp: StepIn) -> int:
        async with self.lock:
            await self._phase(self.phases[inp.n])
            self.done = inp.n + 1
            self.changed = True
            return self.done

    @workflow.query
    def phase(self) -> int:
        return self.done


async def run_same_shape(
    client: Client, task_queue: str, case_id: str, phases: list[str], poll: float = 0.05
) -> dict[str, float]:
    """Start, poll the query until phase 0 is done (as the bench waits for the assignment), then
    one update per later phase; returns seconds to 'assigned' and per update."""
    start = time.perf_counter()
    handle = await client.start_workflow(
        SameShapeLifecycle.run,
        ShapeInput(case_id=case_id, phases=phases),
        id=f"shape-{case_id}",
        task_queue=task_queue,
    )
    while await handle.query(SameShapeLifecycle.phase) < 1:  # noqa: ASYNC110 (as the bench polls)
        await asyncio.sleep(poll)
    out = {"intake_to_assigned": time.perf_counter() - start}
    for n in range(1, len(phases)):
        t0 = time.perf_counter()
        await handle.execute_update(SameShapeLifecycle.act, StepIn(n=n))
        out[f"update_{n}"] = time.perf_counter() - t0
    await handle.result()
    return out


def shape_of(history: WorkflowHistory) -> dict[str, Any]:
    """The commands of a real dispute history as phases (see SHAPE_OPS), with the counts."""
    phases = [""]
    timers = 0
    for e in history.events:
        t = e.event_type
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            phases.append("")
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            phases[-1] += "a"
        elif t == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            phases[-1] += "s"
        elif t == EventType.EVENT_TYPE_TIMER_STARTED:
            timers += 1
        elif (
            t == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        ):
            phases[-1] += "l"
    every = "".join(phases)
    return {
        "phases": phases,
        "activities": every.count("a"),
        "local_activities": every.count("l"),
        "upserts": every.count("s"),
        "updates": len(phases) - 1,
        "timers": timers,
        "events": len(history.events),
    }


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
