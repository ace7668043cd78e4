"""The whole Fengqiao stack as separate processes, the way `deploy/run.py` starts it, but on
free ports, a temp var dir, a private exchange and a private Temporal dev server. Each service
gets its own database: SQLite in the var dir (`db="sqlite"`, the embedded default) or a fresh
PostgreSQL database (`db="postgresql"`, the production layout), dropped afterwards.
`workers` / `consumers` start more than one process of a kind (scale-out)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    AMQP_URL,
    delete_exchange,
    free_port,
    pg_databases,
    private_exchange_name,
    say,
    start_process,
    start_temporal_dev_server,
    stop_process,
    wait_http,
)

PY = sys.executable
TOKEN = "bench-internal-token"
SERVICES = ("portal", "disputes", "appointments", "points", "notifications")
# services that consume events: a second process of each competes on the same quorum queue
CONSUMERS = ("disputes", "appointments", "points", "notifications")


@dataclass
class Stack:
    var: Path
    temporal_address: str
    exchange: str
    env: dict[str, str]
    urls: dict[str, str]
    db_urls: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.urls[service]

    @property
    def db(self) -> str:
        return "postgresql" if self.db_urls["disputes"].startswith("postgresql") else "sqlite"

    def scalar(self, service: str, sql: str) -> int:
        """One number read from a service's own database (read-only for SQLite)."""
        url = self.db_urls[service]
        if url.startswith("postgresql"):
            import psycopg

            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                row = conn.execute(sql).fetchone()
        else:
            path = url.split(":///", 1)[1]
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                row = con.execute(sql).fetchone()
            finally:
                con.close()
        return int(row[0]) if row else 0

    def python_procs(self) -> dict[str, subprocess.Popen[bytes]]:
        return {k: v for k, v in self.procs.items() if k != "temporal"}

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each process has used so far, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        out = {}
        for name, proc in self.procs.items():
            try:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[name] = (int(fields[11]) + int(fields[12])) / tick
        return out


def _env(
    var: Path, temporal: str, exchange: str, ports: dict[str, int], db_urls: dict[str, str]
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(var),
        TEMPORAL_ADDRESS=temporal,
        FQ_EXCHANGE=exchange,
        AMQP_URL=AMQP_URL,
        FQ_INTERNAL_TOKEN=TOKEN,
        PYTHONUNBUFFERED="1",
        FQ_LOG_LEVEL="WARNING",
        FQ_SINK_PORT=str(ports["sink"]),
        FQ_SINK_SMTP_PORT=str(ports["smtp"]),
        FQ_NOTIFICATIONS_SMS_URL=f"json://127.0.0.1:{ports['sink']}/sms?:to={{to}}",
        FQ_NOTIFICATIONS_BOT_URL=f"json://127.0.0.1:{ports['sink']}/bot?:group={{to}}",
        FQ_NOTIFICATIONS_SMTP_URL=(
            f"mailto://127.0.0.1:{ports['smtp']}?from=noreply@fengqiao.local&to={{to}}&mode=insecure"
        ),
        # deliver at once whatever the hour: no quiet hours, no digests, a brisk worker
        FQ_NOTIFICATIONS_QUIET_START_HOUR="0",
        FQ_NOTIFICATIONS_QUIET_END_HOUR="0",
        FQ_NOTIFICATIONS_DIGEST_WINDOW_MINUTES="0",
        FQ_NOTIFICATIONS_WORKER_INTERVAL_SECONDS="0.2",
        FQ_NOTIFICATIONS_WORKER_BATCH="200",
        FQ_APPOINTMENTS_SERVICE_URL=f"http://127.0.0.1:{ports['appointments']}",
    )
    for svc in SERVICES:
        env[f"FQ_{svc.upper()}_PORT"] = str(ports[svc])
        env[f"FQ_{svc.upper()}_RELAY_INTERVAL_SECONDS"] = "0.1"
        env[f"FQ_{svc.upper()}_DATABASE_URL"] = db_urls[svc]
        # up to 14 processes share PostgreSQL's 100 connections: 4 each, 12 in a burst
        env[f"FQ_{svc.upper()}_DB_POOL_SIZE"] = "4"
    for svc in ("disputes", "appointments", "points", "notifications"):
        env[f"FQ_PORTAL_{svc.upper()}_URL"] = f"http://127.0.0.1:{ports[svc]}"
    return env


def _run(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(
            args, env=env, check=True, stdout=out, stderr=subprocess.STDOUT, cwd=env["PWD"]
        )


@contextmanager
def running_stack(
    *,
    workers: int = 1,
    consumers: int = 1,
    keep_logs: bool = False,
    db: str = "sqlite",
) -> Iterator[Stack]:
    """Migrate and seed every service, start every process, wait until all are healthy."""
    with ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="fq-bench-")
        var = Path(tmp)
        logs = var / "logs"
        logs.mkdir()
        address, temporal = stack.enter_context(
            start_temporal_dev_server(log=logs / "temporal.log")
        )
        exchange = private_exchange_name()
        ports = {name: free_port() for name in (*SERVICES, "sink", "smtp")}
        if db == "postgresql":
            db_urls = stack.enter_context(pg_databases(*SERVICES))
        else:
            db_urls = {svc: f"sqlite+aiosqlite:///{var / f'{svc}.db'}" for svc in SERVICES}
        env = _env(var, address, exchange, ports, db_urls)
        env["PWD"] = str(Path(__file__).resolve().parent.parent)
        say(f"stack: {db}, var {var}, temporal {address}, exchange {exchange}")
        for svc in SERVICES:
            _run([PY, "-m", "shared.migrate", "upgrade", svc], env, logs / "seed.log")
            if importlib.util.find_spec(f"services.{svc}.seed") is not None:
                _run([PY, "-m", f"services.{svc}.seed"], env, logs / "seed.log")
        procs: dict[str, subprocess.Popen[bytes]] = {}

        def launch(name: str, module: str, extra: dict[str, str] | None = None) -> None:
            args = [PY, "-m", module]
            procs[name] = start_process(
                args, env={**env, **(extra or {})}, log=logs / f"{name}.log"
            )

        try:
            launch("sink", "services.notifications.sink")
            for svc in SERVICES:
                launch(svc, f"services.{svc}")
            for i in range(1, consumers):
                for svc in CONSUMERS:
                    # a second process of the service: same database and queue, own port, its
                    # periodic jobs on too (nothing may rely on one process of a kind)
                    extra = {f"FQ_{svc.upper()}_PORT": str(free_port())}
                    launch(f"{svc}-{i + 1}", f"services.{svc}", extra)
            for i in range(workers):
                launch(f"disputes-worker-{i + 1}", "workflows.disputes.worker")
            launch("home-visits-worker", "workflows.home_visits.worker")
            urls = {svc: f"http://127.0.0.1:{ports[svc]}" for svc in SERVICES}
            for svc in SERVICES:
                wait_http(f"{urls[svc]}/healthz", timeout=120, proc=procs[svc])
            wait_http(f"http://127.0.0.1:{ports['sink']}/healthz", timeout=60, proc=procs["sink"])
            yield Stack(var, address, exchange, env, urls, db_urls, {"temporal": temporal, **procs})
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                stop_process(proc)
            asyncio.run(delete_exchange(exchange))
            if not keep_logs:
                import shutil

                shutil.rmtree(var, ignore_errors=True)
            else:
                say(f"logs kept in {logs}")
