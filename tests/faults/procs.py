"""Real service processes for the fault-injection runs: start, SIGKILL, restart, wait healthy,
and read their SQLite databases from the test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tests.conftest import REPO
from tests.helpers import eventually, free_ports


class ServiceProcess:
    """`python -m <module>` with its own port and log; restartable after a SIGKILL."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.module = module
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def service_env(tmp_path: Path, exchange: str, amqp_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(tmp_path),
        FQ_EXCHANGE=exchange,
        AMQP_URL=amqp_url,
        FQ_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def ports(*names: str) -> dict[str, str]:
    """FQ_<NAME>_PORT for each service, on free ports."""
    return {
        f"FQ_{n.upper()}_PORT": str(p) for n, p in zip(names, free_ports(len(names)), strict=True)
    }


async def health(port: str) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            r = await client.get(f"http://127.0.0.1:{port}/healthz")
        except httpx.HTTPError:
            return {"ok": False}
        data: dict[str, object] = json.loads(r.text)
        return data


async def wait_healthy(port: str, timeout: float = 90) -> None:
    await eventually(
        lambda: _ok(port), timeout, f"service on :{port} never became healthy", interval=0.5
    )


async def _ok(port: str) -> bool:
    return (await health(port)).get("ok") is True


def sqlite_factory(path: Path) -> async_sessionmaker[AsyncSession]:
    """For reading a service's database: plain deferred transactions, so the test's reads
    never take the write lock the service needs (shared.db begins every one IMMEDIATE)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 30})
    return async_sessionmaker(engine, expire_on_commit=False)


async def count(
    factory: async_sessionmaker[AsyncSession], table: Table | type, *where: object
) -> int:
    stmt = select(func.count()).select_from(table)
    for w in where:
        stmt = stmt.where(w)  # type: ignore[arg-type]
    async with factory() as s:
        return int((await s.execute(stmt)).scalar_one())
