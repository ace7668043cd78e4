"""Benchmark — open-loop latency on the whole stack at multiples of Guyuan's peak arrival rate.

Arrivals do not wait for each other (one merged Poisson stream, seeded): at `x` × the peak,
disputes arrive at 0.005·x/s (intake through the disputes API; once the case is assigned its
officer acts at once: accept, one follow-up, closure, and the chief's approval for red cases),
bookings at 0.013·x/s (a resident finds a slot and books it through the appointments API) and
stuck-board looks at 0.005·x/s (a supervisor opens a station's board). Each level reports
p50/p95/p99 of officer action, intake → assigned, booking (the POST) and stuck board, per
repetition (min / median / max over `--reps`) and pooled; the arrivals still unfinished
`--drain` seconds after the window closed (cancelled and counted: the level is saturated);
the CPU each process used (share of a core, ms per finished arrival) and the whole machine's
from /proc/stat (PostgreSQL, RabbitMQ, the Temporal server and this load generator count),
with the busy rate of the rest of the machine sampled just before the level — the curve until
the machine saturates.

At 1× and 10× the mean gap between two arrivals (43 s, 4.3 s) is longer than what one takes, so
the stack is idle between arrivals; gaps are capped at `--max-gap` seconds to get samples in a
short window (the share of capped gaps is reported). From 100× on no gap is capped.

`--profile` runs one more 100× level first (not counted) with py-spy on the disputes API, the
dispute worker and the appointments API: where their CPU goes when a goal fails.

After each level the bench waits (up to `--quiesce` s) until the stack's processes are idle
again, so the backlog a saturated level leaves does not leak into the next one.

`python -m bench.open_loop [--quick] [--levels 1,10,100,300,1000] [--reps 3] [--db postgresql]`
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import _profile
from bench._bookings import Desk, booking_specs
from bench._disputes import Latencies, case_specs, internal_client, run_case
from bench._stack import TOKEN, Stack, running_stack
from bench.common import (
    REPETITIONS,
    cpu_window,
    headline,
    loadavg,
    ms,
    parser,
    percentiles,
    process_cpu_seconds,
    say,
    spread,
    write_result,
)
from shared.temporal import connect

PEAK_PER_S = {"dispute": 0.005, "booking": 0.013, "board": 0.005}
OFFICER_STEPS = ("accept", "follow_up", "closure", "approve")
GOALS_AT_100X_P95_MS = {
    "officer_action": 150,
    "intake_to_assigned": 1000,
    "booking": 100,
    "stuck_board": 300,
}
OPS = tuple(GOALS_AT_100X_P95_MS)
PROFILED = ("disputes", "disputes-worker-1", "appointments")


def arrivals(
    x: float, seconds: float, rng: random.Random, max_gap: float
) -> tuple[list[tuple[float, str]], int]:
    """(offset, kind) of the merged Poisson stream at `x` × peak over `seconds`; capped gaps."""
    kinds, rates = list(PEAK_PER_S), [r * x for r in PEAK_PER_S.values()]
    out: list[tuple[float, str]] = []
    t, capped = 0.0, 0
    while True:
        gap = rng.expovariate(sum(rates))
        capped += gap > max_gap
        t += min(gap, max_gap)
        if t >= seconds:
            return out, capped
        out.append((t, rng.choices(kinds, rates)[0]))


async def level(
    stack: Stack, desk: Desk, x: float, seconds: float, args: Any, seed: int
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    rng = random.Random(seed)
    plan, capped = arrivals(x, seconds, rng, args.max_gap)
    n = {k: sum(1 for _, kind in plan if kind == k) for k in PEAK_PER_S}
    # ids come from the seed alone: each level and repetition draws its own
    cases = iter(case_specs(n["dispute"], seed, prefix=f"ol{seed}"))
    bookings = iter(booking_specs(n["booking"], seed))
    stations = sorted({s.station_code for s in case_specs(200, 1)})
    temporal = await connect(stack.temporal_address)
    lat = Latencies()
    booking_lat: dict[str, list[float]] = defaultdict(list)
    board: list[float] = []
    errors: list[str] = []

    async with (
        internal_client(stack.url("disputes"), TOKEN) as disputes,
        internal_client(stack.url("appointments"), TOKEN) as appointments,
    ):
        desk.client = appointments

        async def look(station: str) -> None:
            start = time.perf_counter()
            r = await disputes.get("/internal/v1/stuck", params={"station": station})
            board.append(time.perf_counter() - start)
            r.raise_for_status()

        def job(kind: str) -> Any:
            if kind == "dispute":
                return run_case(disputes, temporal, next(cases), lat)
            if kind == "booking":
                return desk.book(next(bookings), booking_lat)
            return look(rng.choice(stations))

        async def at(offset: float, coro: Any) -> None:
            await asyncio.sleep(max(0.0, t0 + offset - time.perf_counter()))
            try:
                await coro
            except Exception as exc:  # counted and reported; the level goes on
                errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")

        pids = {name: p.pid for name, p in stack.procs.items()} | {"load-generator": os.getpid()}
        load_before = loadavg()
        with cpu_window(pids, sample_background=args.background_seconds) as w:
            t0 = time.perf_counter()
            tasks = [asyncio.create_task(at(o, job(kind))) for o, kind in plan]
            done, pending = (
                await asyncio.wait(tasks, timeout=seconds + args.drain)
                if tasks
                else (
                    set(),
                    set(),
                )
            )
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        wall = w.wall
    span = plan[-1][0] if plan else 0.0
    raw = {
        "officer_action": lat.officer_actions(),
        "intake_to_assigned": lat.by_step.get("intake_to_assigned", []),
        "booking": booking_lat.get("booking", []),
        "stuck_board": board,
        **{s: lat.by_step.get(s, []) for s in ("intake", *OFFICER_STEPS)},
    }
    finished = len(done) - len(errors)
    cpu = w.per_op(finished)
    shares = {k: round(v / wall, 3) for k, v in sorted(w.processes.items(), key=lambda kv: -kv[1])}
    # the stack's own processes (load generator out; PostgreSQL and RabbitMQ are not ours to
    # attribute on a shared machine): CPU per dispute, with the 2.6 bookings and one board
    # look that arrive with each dispute at every level
    stack_cpu = sum(v for k, v in w.processes.items() if k != "load-generator")
    tail = round(wall - span, 1)
    result: dict[str, Any] = {
        "x_peak": x,
        "offered_per_s": {k: round(r * x, 4) for k, r in PEAK_PER_S.items()},
        "window_seconds": seconds,
        "capped_gaps_share": round(capped / max(1, len(plan)), 3),
        "arrivals": n,
        "finished": finished,
        "unfinished_after_drain": len(pending),
        "wall_seconds": round(wall, 1),
        "tail_after_last_arrival_s": tail,
        "errors": len(errors),
        "first_errors": errors[:3],
        "loadavg_before": load_before,
        "cpu": {
            **cpu,
            "machine_busy_cores": round(w.machine / wall, 2),
            "process_cpu_cores": shares,
            "stack_cpu_seconds": round(stack_cpu, 2),
            "stack_cpu_s_per_dispute": round(stack_cpu / n["dispute"], 3) if n["dispute"] else None,
        },
        "latency_ms": {k: ms(percentiles(v)) for k, v in raw.items()},
    }
    result["saturated"] = bool(pending) or tail > 15
    return result, raw


async def quiesce(stack: Stack, limit: float, idle_cores: float = 0.15) -> float:
    """Wait (up to `limit` s) until the stack's processes together use under `idle_cores`
    over 3 s: a saturated level leaves a backlog (workflows still screening, outboxes still
    relaying) that must not leak into the next level. Returns the seconds waited."""
    pids = {name: p.pid for name, p in stack.procs.items()}
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = {k: process_cpu_seconds(p) for k, p in pids.items()}
        await asyncio.sleep(3)
        used = sum(process_cpu_seconds(p) - before[k] for k, p in pids.items())
        if used / 3 < idle_cores:
            break
    return round(time.perf_counter() - started, 1)


def curve_point(x: float, reps: list[dict[str, Any]], pooled: dict[str, list[float]]) -> Any:
    return {
        "x_peak": x,
        "latency_ms_over_reps": {
            op: {
                q: spread([r["latency_ms"][op][q] for r in reps], 2) for q in ("p50", "p95", "p99")
            }
            for op in OPS
        },
        "latency_ms_pooled": {op: ms(percentiles(pooled[op])) for op in OPS},
        "unfinished_after_drain": [r["unfinished_after_drain"] for r in reps],
        "saturated": [r["saturated"] for r in reps],
        "errors": sum(r["errors"] for r in reps),
        "machine_busy_cores": spread([r["cpu"]["machine_busy_cores"] for r in reps], 2),
        "background_cores_before": spread([r["cpu"]["background_cores_before"] for r in reps], 2),
        "stack_cpu_s_per_dispute": spread(
            [r["cpu"]["stack_cpu_s_per_dispute"] or float("nan") for r in reps], 3
        ),
        "machine_cpu_ms_per_finished_arrival": spread(
            [r["cpu"].get("machine_cpu_ms_per_op", float("nan")) for r in reps], 1
        ),
    }


def headline_rows(curve: list[dict[str, Any]], db: str) -> list[dict[str, Any]]:
    at100 = next((c for c in curve if c["x_peak"] == 100), None)
    if at100 is None:
        return []
    rows = []
    for i, (op, goal) in enumerate(GOALS_AT_100X_P95_MS.items()):
        p = at100["latency_ms_over_reps"][op]
        shape = " / ".join(
            f"{c['x_peak']:g}× {c['latency_ms_over_reps'][op]['p95']['median']:,.0f}" for c in curve
        )
        rows.append(
            headline(
                path=f"open loop at 100× Guyuan's peak ({db}): {op.replace('_', ' ')} p95",
                fengqiao=f"p95 {p['p95']['median']:,.0f} ms ({p['p95']['min']:,.0f}–"
                f"{p['p95']['max']:,.0f}), p50 {p['p50']['median']:,.0f}, p99 "
                f"{p['p99']['median']:,.0f}; p95 curve {shape} ms",
                baseline="—",
                ratio=None,
                goal=f"p95 ≤ {goal} ms",
                met=p["p95"]["median"] <= goal,
                cpu=f"{at100['stack_cpu_s_per_dispute']['median']:.2f} CPU-s of the stack's "
                "processes per dispute (with its 2.6 bookings)"
                if i == 0
                else "",
                order=50 + i,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--levels", default="1,10,100,300,1000")
    p.add_argument("--seconds", type=float, default=60, help="arrival window at 100×")
    p.add_argument("--low-seconds", type=float, default=40, help="window of capped levels")
    p.add_argument("--high-seconds", type=float, default=30, help="window above 100×")
    p.add_argument("--quiesce", type=float, default=180, help="most seconds to wait for idle")
    p.add_argument("--max-gap", type=float, default=4.0)
    p.add_argument("--drain", type=float, default=60.0, help="seconds allowed after the window")
    p.add_argument("--settle", type=float, default=5.0, help="idle seconds between levels")
    p.add_argument("--background-seconds", type=float, default=2.0)
    p.add_argument("--reps", type=int, default=REPETITIONS)
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args(argv)
    levels = [float(x) for x in args.levels.split(",")]
    if args.quick:
        args.seconds, args.low_seconds, args.reps, levels = 15, 10, 1, [1, 100]
        args.quiesce = 20
    runs: dict[float, list[dict[str, Any]]] = defaultdict(list)
    pooled: dict[float, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    profile: dict[str, Any] = {}
    with running_stack(db=args.db) as stack:

        async def go() -> None:
            async with internal_client(stack.url("appointments"), TOKEN) as c:
                desk = Desk(c)
                await desk.load()
            # warm-up (not counted): a few lifecycles, bookings and board looks
            await level(stack, desk, 100, 5, args, args.seed * 100_000 + 99_999)
            if args.profile:
                with tempfile.TemporaryDirectory(prefix="fq-bench-ol-") as tmp:
                    procs = {k: stack.procs[k] for k in PROFILED}
                    with _profile.window(procs, Path(tmp)) as files:
                        say(
                            "open_loop: profiled 100× level (not counted), before the measured ones"
                        )
                        r, _ = await level(stack, desk, 100, args.seconds, args, args.seed + 7)
                    profile["level"] = {"latency_ms": {op: r["latency_ms"][op] for op in OPS}}
                    profile["level"]["process_cpu_cores"] = r["cpu"]["process_cpu_cores"]
                    profile.update({k: _profile.top(f) for k, f in files.items()})
                await quiesce(stack, args.quiesce)

            for rep in range(args.reps):
                for x in levels:
                    seconds = (
                        args.low_seconds
                        if x < 100
                        else args.seconds
                        if x == 100
                        else args.high_seconds
                    )
                    say(f"open_loop: rep {rep + 1}, {x:g}× peak for {seconds:.0f} s")
                    seed = args.seed * 100_000 + int(x) * 10 + rep
                    r, raw = await level(stack, desk, x, seconds, args, seed)
                    lm = r["latency_ms"]
                    say(
                        "  p95 ms: "
                        + ", ".join(f"{op} {lm[op]['p95']}" for op in OPS)
                        + f"; unfinished {r['unfinished_after_drain']}, errors {r['errors']}"
                    )
                    runs[x].append(r)
                    for op in OPS:
                        pooled[x][op] += raw[op]
                    if (rep, x) != (args.reps - 1, levels[-1]):  # the last level needs no idle
                        await asyncio.sleep(args.settle)
                        r["quiesce_seconds_after"] = await quiesce(stack, args.quiesce)

        asyncio.run(go())
    curve = [curve_point(x, runs[x], pooled[x]) for x in levels]
    at100 = next((c for c in curve if c["x_peak"] == 100), None)
    goals = (
        {
            k: {
                "goal_p95_ms": g,
                "median_p95_ms": at100["latency_ms_over_reps"][k]["p95"]["median"],
            }
            | {"met": at100["latency_ms_over_reps"][k]["p95"]["median"] <= g}
            for k, g in GOALS_AT_100X_P95_MS.items()
        }
        if at100
        else {}
    )
    saturates = next((c["x_peak"] for c in curve if any(c["saturated"])), None)
    write_result(
        "open_loop",
        {
            "database": args.db,
            "reps": args.reps,
            "seconds_per_level": {
                "below_100x": args.low_seconds,
                "100x": args.seconds,
                "above_100x": args.high_seconds,
            },
            "shared_machine": "what else ran on the machine: loadavg (machine) and "
            "background_cores_before (cores busy before each level)",
            "headline": headline_rows(curve, args.db),
            "goals_at_100x": goals,
            "first_saturated_level": saturates,
            "curve": curve,
            "profile_100x": profile,
            "runs": {f"{x:g}x": runs[x] for x in levels},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
