"""Benchmark 5: the task list and the stuck board with 100k tasks and 10k open cases.

A fresh PostgreSQL database at the disputes schema (migrations), the demo directory, then
cases and tasks inserted directly with SQL: `--open-cases` live cases (assignment, follow-up,
closure approval, return visit; deadlines spread so some are red, some amber) plus as many
closed cases, and `--tasks` tasks of which one per open case is open. For the stations the
Every open case also gets a running workflow on a private Temporal dev server (no worker: it
just stays Running), one in 50 with the FqTrouble flag up, so the board's Temporal half runs
its visibility query over 10k running workflows and describes the flagged ones. The disputes
API runs as a uvicorn subprocess; the bench calls `GET /internal/v1/tasks?assignee=` and
`GET /internal/v1/stuck?station=` one at a time (p50/p95/p99), then under load: `--clients`
callers at once for `--load-seconds`, nine task lists to one board, as a county's officers
and supervisors would (throughput, p95). The baseline runs the same SQL directly (psycopg
through the same engine), and `EXPLAIN ANALYZE` shows which indexes the queries use.

The data is made once; each of the three phases (bare SQL, the API one at a time, the API under
load) then runs `--repetitions` times over it, each with the CPU it cost: the disputes
process's, the Temporal server's, this load generator's and the whole machine's (/proc/stat:
PostgreSQL counts there), with the machine's busy rate just before each window taken out.

`python -m bench.read_paths [--quick] [--tasks 100000] [--open-cases 10000] [--clients 16]
[--repetitions 3]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _profile
from bench._cpu import cpu_seconds
from bench._read_data import insert_cases, start_workflows
from bench.common import (
    REPETITIONS,
    cpu_window,
    create_pg_database,
    drop_pg_database,
    free_port,
    headline,
    ms,
    parser,
    percentiles,
    private_exchange_name,
    ratio,
    say,
    spreads,
    start_process,
    start_temporal_dev_server,
    stop_process,
    wait_http,
    write_result,
)
from services.disputes.seed import seed_directory
from shared import migrate
from shared.db import make_engine, make_session_factory
from shared.http import client_limits
from shared.stages import LIVE_STAGES

TOKEN = "bench-read-paths-token"

TASK_COUNTS = (
    "SELECT kind, count(*) FROM tasks WHERE closed_at IS NULL AND assignee_id = :a GROUP BY kind"
)
TASK_PAGE = (
    "SELECT * FROM tasks WHERE closed_at IS NULL AND assignee_id = :a"
    " ORDER BY due_at, task_id LIMIT 200"
)
STUCK = "SELECT * FROM cases WHERE stage IN ({stages}) AND station_code = :s".format(
    stages=", ".join(f"'{s}'" for s in LIVE_STAGES)
)


async def timed(
    n: int, targets: list[str], call: Callable[[str], Awaitable[None]]
) -> dict[str, float]:
    rnd = random.Random(5)
    lat: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call(rnd.choice(targets))
        lat.append(time.perf_counter() - t0)
    return ms(percentiles(lat))


async def explain(engine: AsyncEngine, sql: str, params: dict[str, str]) -> dict[str, Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}"), params)
        plan = [r[0] for r in rows]
    return {"uses_index": any("Index" in line for line in plan), "plan": plan}


async def baseline(
    engine: AsyncEngine, officers: list[str], stations: list[str], args: Any
) -> dict[str, Any]:
    async def tasks(a: str) -> None:
        async with engine.connect() as conn:
            (await conn.execute(text(TASK_COUNTS), {"a": a})).all()
            (await conn.execute(text(TASK_PAGE), {"a": a})).all()

    async def stuck(s: str) -> None:
        async with engine.connect() as conn:
            (await conn.execute(text(STUCK), {"s": s})).all()

    return {
        "task_list_sql_ms": await timed(args.task_requests, officers, tasks),
        "stuck_sql_ms": await timed(args.stuck_requests, stations, stuck),
    }


async def through_api(
    base: str, officers: list[str], stations: list[str], args: Any, pid: int
) -> dict[str, Any]:
    sizes: dict[str, list[int]] = {"tasks": [], "stuck": []}
    async with httpx.AsyncClient(
        base_url=base, headers={"X-Fengqiao-Internal": TOKEN}, timeout=60
    ) as c:

        async def tasks(a: str) -> None:
            r = await c.get("/internal/v1/tasks", params={"assignee": a})
            r.raise_for_status()
            sizes["tasks"].append(len(r.json()["items"]))

        async def stuck(s: str) -> None:
            r = await c.get("/internal/v1/stuck", params={"station": s})
            r.raise_for_status()
            sizes["stuck"].append(len(r.json()["items"]))

        await tasks(officers[0])  # warm the connection pool and the Temporal client
        await stuck(stations[0])
        cpu0 = cpu_seconds(pid)
        t = await timed(args.task_requests, officers, tasks)
        cpu1 = cpu_seconds(pid)
        s = await timed(args.stuck_requests, stations, stuck)
        cpu2 = cpu_seconds(pid)
    return {
        "service_cpu_ms_per_task_list": round(1000 * (cpu1 - cpu0) / args.task_requests, 2),
        "service_cpu_ms_per_stuck_board": round(1000 * (cpu2 - cpu1) / args.stuck_requests, 2),
        "task_list_ms": t,
        "task_list_items_mean": round(sum(sizes["tasks"]) / len(sizes["tasks"]), 1),
        "stuck_board_ms": s,
        "stuck_board_items_mean": round(sum(sizes["stuck"]) / len(sizes["stuck"]), 1),
    }


async def under_load(
    base: str, officers: list[str], stations: list[str], clients: int, seconds: float, pid: int
) -> dict[str, Any]:
    """`clients` callers at once for `seconds`: nine task lists to one stuck board."""
    lat: dict[str, list[float]] = {"tasks": [], "stuck": []}
    errors = 0
    limits = client_limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-Fengqiao-Internal": TOKEN}, timeout=60, limits=limits
    ) as c:
        stop = time.perf_counter() + seconds

        async def caller(k: int) -> None:
            nonlocal errors
            rnd = random.Random(k)
            n = 0
            while time.perf_counter() < stop:
                n += 1
                kind = "stuck" if n % 10 == k % 10 else "tasks"
                if kind == "stuck":
                    path, params = "/internal/v1/stuck", {"station": rnd.choice(stations)}
                else:
                    path, params = "/internal/v1/tasks", {"assignee": rnd.choice(officers)}
                t0 = time.perf_counter()
                r = await c.get(path, params=params)
                lat[kind].append(time.perf_counter() - t0)
                errors += r.status_code != 200

        cpu0 = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(caller(k) for k in range(clients)))
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu0
    done = len(lat["tasks"]) + len(lat["stuck"])
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests_per_s": round(done / wall, 1),
        "non_200": errors,
        "service_cpu_share": round(cpu / wall, 2),
        "task_list_ms": ms(percentiles(lat["tasks"])),
        "stuck_board_ms": ms(percentiles(lat["stuck"])),
    }


def disputes_env(url: str, temporal: str, port: int, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(workdir),
        FQ_DISPUTES_DATABASE_URL=url,
        FQ_DISPUTES_PORT=str(port),
        FQ_EXCHANGE=private_exchange_name(),
        FQ_INTERNAL_TOKEN=TOKEN,
        FQ_LOG_LEVEL="WARNING",
        TEMPORAL_ADDRESS=temporal,
    )
    return env


async def prepare(url: str, args: Any) -> tuple[AsyncEngine, dict[str, Any]]:
    await asyncio.to_thread(migrate.upgrade, "disputes", url)
    engine = make_engine(url)
    await seed_directory(make_session_factory(engine))
    started = time.perf_counter()
    facts = await insert_cases(engine, args.open_cases, args.tasks, datetime.now(UTC))
    facts["insert_seconds"] = round(time.perf_counter() - started, 1)
    async with engine.connect() as conn:
        await conn.execute(text("COMMIT"))
        await conn.execute(text("ANALYZE"))
    return engine, facts


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--open-cases", type=int, default=10_000)
    p.add_argument("--task-requests", type=int, default=1000)
    p.add_argument("--stuck-requests", type=int, default=60)
    p.add_argument("--stations", type=int, default=4, help="stations the board is probed on")
    p.add_argument("--clients", type=int, default=16, help="callers at once in the load phase")
    p.add_argument("--load-seconds", type=float, default=30)
    p.add_argument("--repetitions", type=int, default=REPETITIONS)
    p.add_argument("--no-profile", dest="profile", action="store_false")
    args = p.parse_args(argv)
    if args.quick:
        args.tasks, args.open_cases, args.task_requests, args.stuck_requests = 10000, 1000, 200, 40
        args.load_seconds, args.repetitions = 5, 1
    name, url = create_pg_database("fq_bench_read_paths")
    try:
        with tempfile.TemporaryDirectory(prefix="fq-bench-read-") as tmp:
            data = asyncio.run(_run(url, args, Path(tmp)))
    finally:
        drop_pg_database(name)
    write_result("read_paths", data)
    return 0


async def _run(url: str, args: Any, workdir: Path) -> dict[str, Any]:
    say(f"read_paths: inserting {args.open_cases:,} open cases and {args.tasks:,} tasks")
    engine, facts = await prepare(url, args)
    officers: list[str] = facts.pop("officers_with_open_tasks")
    by_station: dict[str, int] = facts.pop("open_cases_by_station")
    stations = sorted(by_station, key=lambda s: -by_station[s])[: args.stations]
    try:
        plans = {
            "task_counts": await explain(engine, TASK_COUNTS, {"a": officers[0]}),
            "task_page": await explain(engine, TASK_PAGE, {"a": officers[0]}),
            "stuck_cases": await explain(engine, STUCK, {"s": stations[0]}),
        }
        bare_runs = []
        for i in range(args.repetitions):
            say(f"read_paths: bare SQL, run {i + 1}")
            n = args.task_requests + args.stuck_requests
            with cpu_window({"bench": os.getpid()}) as w:
                run = await baseline(engine, officers, stations, args)
            bare_runs.append({**run, "cpu": w.per_op(n)})
    finally:
        await engine.dispose()
    with start_temporal_dev_server(log=workdir / "temporal.log") as (address, temporal):
        say(f"read_paths: starting a running workflow per open case ({args.open_cases:,})")
        facts.update(await start_workflows(address, url))
        port = free_port()
        env = disputes_env(url, address, port, workdir)
        base = f"http://127.0.0.1:{port}"
        out = workdir / "disputes.pyspy.txt"
        cmd = [sys.executable, "-m", "services.disputes"]
        proc = start_process(cmd, env=env, log=workdir / "disputes.log")
        try:
            wait_http(f"{base}/healthz", proc=proc)
            pids = {"disputes": proc.pid, "temporal": temporal.pid, "bench": os.getpid()}
            api_runs, loaded_runs = [], []
            for i in range(args.repetitions):
                say(f"read_paths: timing the API, run {i + 1}")
                with cpu_window(pids) as w:
                    api = await through_api(base, officers, stations, args, proc.pid)
                api_runs.append({**api, "cpu": w.per_op(args.task_requests + args.stuck_requests)})
                say(f"read_paths: {args.clients} callers at once for {args.load_seconds:.0f} s")
                with cpu_window(pids) as w:
                    loaded = await under_load(
                        base, officers, stations, args.clients, args.load_seconds, proc.pid
                    )
                n = loaded["task_list_ms"]["count"] + loaded["stuck_board_ms"]["count"]
                loaded_runs.append({**loaded, "cpu": w.per_op(n)})
            profile = None
            if args.profile:
                _profile.begin(proc, out)
                small = argparse_like(args, 500, 25)
                await through_api(base, officers, stations, small, proc.pid)
                _profile.end(proc)
                profile = _profile.top(out)
        except Exception:
            say((workdir / "disputes.log").read_text()[-3000:])  # the service's side of it
            raise
        finally:
            stop_process(proc)
    for a, b in zip(api_runs, bare_runs, strict=True):
        a["ratio_p95_sql_over_api"] = {
            "task_list": ratio(b["task_list_sql_ms"]["p95"], a["task_list_ms"]["p95"]),
            "stuck_board": ratio(b["stuck_sql_ms"]["p95"], a["stuck_board_ms"]["p95"]),
        }
    figures = {
        **spreads(api_runs, [f"{k}_ms.{q}" for k in ("task_list", "stuck_board") for q in QS]),
        **spreads(
            api_runs, ["ratio_p95_sql_over_api.task_list", "ratio_p95_sql_over_api.stuck_board"]
        ),
        **spreads(api_runs, ["cpu.machine_cpu_ms_per_op", "cpu.process_cpu_ms_per_op.disputes"]),
        **spreads(api_runs, [f"service_cpu_ms_per_{k}" for k in ("task_list", "stuck_board")]),
        **spreads(api_runs, ["cpu.process_cpu_ms_per_op.temporal"]),
        **spreads(bare_runs, [f"{k}_sql_ms.{q}" for k in ("task_list", "stuck") for q in QS]),
        "bare_sql.machine_cpu_ms_per_op": spreads(bare_runs, ["cpu.machine_cpu_ms_per_op"])[
            "cpu.machine_cpu_ms_per_op"
        ],
    }
    loaded_fig = spreads(
        loaded_runs,
        ["requests_per_s", "cpu.machine_cpu_ms_per_op", "cpu.process_cpu_ms_per_op.disputes"]
        + ["cpu.background_cores_before"]
        + [f"{k}_ms.{q}" for k in ("task_list", "stuck_board") for q in QS],
    )
    result: dict[str, Any] = {
        "repetitions": args.repetitions,
        "data": facts,
        "probed_stations": {s: by_station[s] for s in stations},
        "headline": headline_rows(args, figures, loaded_fig),
        "figures_alone": figures,
        "figures_under_load": loaded_fig,
        "api_runs": api_runs,
        "api_under_load_runs": loaded_runs,
        "bare_sql_runs": bare_runs,
        "explain": plans,
    }
    if profile is not None:
        result["profile_disputes_top"] = profile
    return result


QS = ("p50", "p95", "p99")


def headline_rows(args: Any, alone: dict[str, Any], loaded: dict[str, Any]) -> list[Any]:
    def med(d: dict[str, Any], k: str) -> float:
        return float(d[k]["median"])

    rows = []
    for order, (what, api_key, sql_key, loaded_key) in enumerate(
        (
            ("task list", "task_list_ms", "task_list_sql_ms", "task_list_ms"),
            ("stuck board", "stuck_board_ms", "stuck_sql_ms", "stuck_board_ms"),
        )
    ):
        rows.append(
            headline(
                path=f"{what} (postgresql, {args.tasks:,} tasks, {args.open_cases:,} running "
                f"workflows), p95 alone / {args.clients} callers",
                fengqiao=f"p95 {med(alone, api_key + '.p95'):,.1f} ms alone, "
                f"{med(loaded, loaded_key + '.p95'):,.0f} ms with {args.clients} callers",
                baseline=f"bare SQL p95 {med(alone, sql_key + '.p95'):,.1f} ms",
                ratio=alone[f"ratio_p95_sql_over_api.{api_key[:-3]}"],
                goal="",
                met=True,
                cpu=f"{med(alone, 'service_cpu_ms_per_' + api_key[:-3]):.1f} ms in the disputes "
                f"API; {med(alone, 'cpu.process_cpu_ms_per_op.temporal'):.1f} ms Temporal per "
                "request of the mixed run; machine: not separable (background "
                f"{med(loaded, 'cpu.background_cores_before'):.1f} cores busy before)",
                order=30 + order,
            )
        )
    return rows


def argparse_like(args: Any, task_requests: int, stuck_requests: int) -> Any:
    return argparse.Namespace(
        **{**vars(args), "task_requests": task_requests, "stuck_requests": stuck_requests}
    )


if __name__ == "__main__":
    sys.exit(main())
