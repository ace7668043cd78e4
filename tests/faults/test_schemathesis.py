"""schemathesis over the portal's JSON API, as an outside client generating requests from
/openapi.json would: the CLI in its own process, `--checks all` over the coverage and fuzzing
phases, once with a token of each demo role, against the portal served on a free port with
every backend running (disputes with a real worker on the Temporal dev server, appointments,
points, notifications). Zero failures: what the schema promises is what the API does. A bounded
number of examples here; the long run under `make soak` adds the stateful phase (random
sequences of calls, several minutes of CPU: more than half of this file's cost when it ran in
`make test`) and every role over the coverage phase."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from services.appointments.api import create_app as create_appointments_app
from services.disputes.api import create_app as create_disputes_app
from services.notifications.api import create_app as create_notifications_app
from services.points.api import create_app as create_points_app
from shared.config import (
    AppointmentsSettings,
    DisputesSettings,
    NotificationsSettings,
    PointsSettings,
)
from tests.appointments.conftest import make_desk
from tests.conftest import AMQP_URL, REPO
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness
from tests.workflows.disputes.conftest import make_dispute_db
from workflows.disputes.worker import build_worker

MAX_EXAMPLES = 2
SOAK_EXAMPLES = 25
PARALLEL_RUNS = 3
ROLES = tuple(ACCOUNTS)  # one demo account per role
REPORTS = REPO / "test-artifacts" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
log = logging.getLogger("fengqiao.tests.faults")


@pytest.fixture
async def full_portal(
    portal_factory: PortalFactory,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    exchange: str,
    tmp_path: Path,
) -> AsyncIterator[PortalHarness]:
    def url(name: str) -> str:
        return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"

    common: dict[str, Any] = {"exchange": exchange, "amqp_url": AMQP_URL}
    desk = await make_desk(url("appointments"))
    await desk.factory.kw["bind"].dispose()
    factory = await make_dispute_db(url("disputes"))
    disputes = DisputesSettings(database_url=url("disputes"), task_queue=task_queue, **common)
    backends = {
        "disputes": create_disputes_app(disputes, temporal=temporal_env.client),
        "appointments": create_appointments_app(
            AppointmentsSettings(
                database_url=url("appointments"),
                run_jobs=False,
                task_queue=f"{task_queue}-visits",
                **common,
            ),
            temporal=temporal_env.client,
        ),
        "points": create_points_app(PointsSettings(database_url=url("points"), **common)),
        "notifications": create_notifications_app(
            NotificationsSettings(database_url=url("notifications"), **common)
        ),
    }
    async with AsyncExitStack() as stack:
        stack.push_async_callback(factory.kw["bind"].dispose)
        await stack.enter_async_context(
            build_worker(temporal_env.client, factory, task_queue=task_queue, settings=disputes)
        )
        yield await stack.enter_async_context(portal_factory(backends=backends))


# they revoke the very token the run uses (tested in tests/security/test_tokens.py)
REVOKING = ("/api/v1/auth/logout", "/api/v1/auth/sign-out-everywhere")


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free port of this loop (lifespan already running): a real HTTP server, so
    schemathesis runs as an outside client would, in its own process."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def operations_of(doc: dict[str, Any], role: str) -> list[str]:
    """The operations `role` may call (`x-roles` of the published schema): every other one
    answers 403 before looking at its input, so fuzzing it with this token reaches nothing."""
    return [
        op["operationId"]
        for path, ops in doc["paths"].items()
        for op in ops.values()
        if role in op.get("x-roles", [role]) and not op.get("deprecated") and path not in REVOKING
    ]


@dataclass(frozen=True)
class Run:
    """One schemathesis process: a role's token over some operations and phases."""

    role: str
    phases: str
    operation_ids: list[str]

    @property
    def name(self) -> str:
        return f"{self.role}-{self.phases.replace(',', '-')}"


def plan(doc: dict[str, Any], *, soak: bool) -> list[Run]:
    """The fuzzing phase for every role over what it may call (in the soak run, fuzzing and
    stateful). The coverage phase (schema boundaries, deterministic, thousands of cases) runs
    each operation once, with the first role allowed to call it; in the soak run, with every
    role."""
    runs: list[Run] = []
    covered: set[str] = set()
    for role in ROLES:
        mine = operations_of(doc, role)
        runs.append(Run(role, "fuzzing,stateful" if soak else "fuzzing", mine))
        first = [op for op in mine if soak or op not in covered]
        covered.update(mine)
        if first:
            runs.append(Run(role, "coverage", first))
    return runs


async def schemathesis_run(
    base: str, token: str, run: Run, *, examples: int, seed: int
) -> tuple[int, str]:
    """The schemathesis CLI with every check; (exit code, its output)."""
    report = REPORTS / f"{run.name}.xml"
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={CONFIG}",
        "run",
        f"{base}/openapi.json",
        "--checks=all",
        f"--phases={run.phases}",
        "--mode=all",
        f"--max-examples={examples}",
        f"--seed={seed}",
        "--exclude-deprecated",
        f"--include-operation-id-regex=^({'|'.join(run.operation_ids)})$",
        "--workers=1",
        "--request-timeout=30",
        "--suppress-health-check=all",
        "--no-color",
        "--report=junit",
        f"--report-junit-path={report}",
        "-H",
        f"Authorization: Bearer {token}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=REPORTS,  # where it keeps its .schemathesis cache
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    report.with_suffix(".txt").write_text(text)
    return proc.returncode or 0, text


async def fuzz_every_role(
    harness: PortalHarness, *, examples: int, seed: int, soak: bool = False
) -> dict[str, tuple[int, str]]:
    """Each run's exit code and output (also under test-artifacts/schemathesis/, with its
    JUnit report), by run name."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    tokens = {role: await harness.token(role) for role in ROLES}  # before any lock-out
    runs = plan(harness.app.openapi(), soak=soak)
    parallel = asyncio.Semaphore(PARALLEL_RUNS)

    async def one(run: Run, base: str) -> tuple[int, str]:
        async with parallel:
            result = await schemathesis_run(
                base, tokens[run.role], run, examples=examples, seed=seed
            )
        log.info("schemathesis %s: %s", run.name, result[1].strip().splitlines()[-1:])
        return result

    async with serving(harness.app) as base:
        results = await asyncio.gather(*(one(run, base) for run in runs))
    return {run.name: result for run, result in zip(runs, results, strict=True)}


@pytest.mark.timeout(600)  # about a minute on an idle 2-core machine
async def test_portal_api_keeps_its_published_contract(full_portal: PortalHarness) -> None:
    results = await fuzz_every_role(full_portal, examples=MAX_EXAMPLES, seed=20)
    failed = {name: out[-6000:] for name, (code, out) in results.items() if code != 0}
    assert not failed, "\n\n".join(f"--- {name}\n{out}" for name, out in failed.items())


@pytest.mark.soak
@pytest.mark.timeout(3600)
async def test_portal_api_contract_long_run(full_portal: PortalHarness) -> None:
    results = await fuzz_every_role(full_portal, examples=SOAK_EXAMPLES, seed=2026, soak=True)
    failed = {name: out[-6000:] for name, (code, out) in results.items() if code != 0}
    assert not failed, "\n\n".join(f"--- {name}\n{out}" for name, out in failed.items())


@pytest.mark.timeout(120)
async def test_path_parameters_cannot_reach_other_backend_routes(
    full_portal: PortalHarness,
) -> None:
    client = await full_portal.api("resident")
    for code in ("%3F", "..%2F..%2Fx", "a%2Fb", "%23", "."):
        for path in (
            f"/api/v1/bookings/{code}/cancel",
            f"/api/v1/bookings/{code}/confirm",
            f"/api/v1/tips/{code}/rate",
            f"/api/v1/patrols/{code}/cosign",
            f"/api/v1/notifications/inbox/{code}/read",
        ):
            r = await client.post(path, json={})
            assert r.status_code < 500, (path, r.status_code, r.text)
    # past 64 bits: SQLite cannot bind it; the answer is a 422 naming the field
    r = await client.post(f"/api/v1/notifications/inbox/{2**64}/read")
    assert (r.status_code, r.json()["detail"][0]["field"]) == (422, "message_id")
