"""Benchmark — open-loop latency on the embedded stack at multiples of Guyuan's peak arrival rate.

Arrivals do not wait for each other (Poisson, seeded): at rate `x` × the peak, disputes arrive
at 0.005·x/s (intake through the disputes API; when the case is assigned its officer acts at once:
accept, one follow-up, closure, and the chief's approval for red cases), bookings at 0.013·x/s
(a resident finds a slot and books it through the appointments API) and stuck-board looks at
0.005·x/s (a supervisor opens the board of a station: one look per new case). Each level reports
p50/p95/p99 of officer action, intake → assigned, booking (the POST) and stuck board, the
arrivals that were late to finish, and the whole machine's CPU share (/proc/stat: PostgreSQL,
RabbitMQ, Temporal and this load generator count) — the curve until the machine saturates.

At 1× and 10× one dispute arrives every 200 s / 20 s, far longer than a lifecycle takes: arrivals
never overlap, so these levels are sampled with the gaps capped at `--max-gap` seconds (the
stack is idle between arrivals either way) and say so (`gap_capped`).

`python -m bench.open_loop [--quick] [--levels 1,10,100,300,1000] [--seconds 60] [--reps 3]`
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench._bookings import Desk, booking_specs
from bench._disputes import Latencies, case_specs, internal_client, run_case
from bench._stack import TOKEN, Stack, running_stack
from bench.common import ms, parser, percentiles, say, write_result
from shared.temporal import connect

PEAK_DISPUTES_PER_S = 0.005
PEAK_BOOKINGS_PER_S = 0.013
PEAK_BOARD_LOOKS_PER_S = 0.005
OFFICER_STEPS = ("accept", "follow_up", "closure", "approve")
GOALS_AT_100X_P95_MS = {
    "officer_action": 150,
    "intake_to_assigned": 1000,
    "booking": 100,
    "stuck_board": 300,
}


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far, from the first line of /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def arrivals(rate: float, seconds: float, rng: random.Random, max_gap: float) -> list[float]:
    """Arrival offsets of a Poisson process of `rate`/s over `seconds` (gaps capped)."""
    out: list[float] = []
    t = min(rng.expovariate(rate), max_gap)
    while t < seconds:
        out.append(t)
        t += min(rng.expovariate(rate), max_gap)
    return out


async def level(
    stack: Stack, desk: Desk, x: float, seconds: float, max_gap: float, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    d_at = arrivals(PEAK_DISPUTES_PER_S * x, seconds, rng, max_gap)
    b_at = arrivals(PEAK_BOOKINGS_PER_S * x, seconds, rng, max_gap)
    s_at = arrivals(PEAK_BOARD_LOOKS_PER_S * x, seconds, rng, max_gap)
    capped = any(1 / (r * x) > max_gap for r in (PEAK_DISPUTES_PER_S, PEAK_BOOKINGS_PER_S))
    # case ids come from the seed alone: each level draws its own (a reused id is a no-op intake)
    specs = case_specs(len(d_at), seed * 10_000 + int(x), prefix=f"ol{int(x)}s{seed}")
    stations = sorted({s.station_code for s in case_specs(200, 1)})
    temporal = await connect(stack.temporal_address)
    lat = Latencies()
    booking_lat: dict[str, list[float]] = defaultdict(list)
    board: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()

    async def at(offset: float, coro: Any) -> None:
        await asyncio.sleep(max(0.0, t0 + offset - time.perf_counter()))
        try:
            await coro
        except Exception as exc:  # counted and reported; the level goes on
            errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")

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

        cpu0 = machine_cpu()
        jobs = [
            at(o, run_case(disputes, temporal, s, lat)) for o, s in zip(d_at, specs, strict=True)
        ]
        jobs += [
            at(o, desk.book(b, booking_lat))
            for o, b in zip(b_at, booking_specs(len(b_at), seed + int(x)), strict=True)
        ]
        jobs += [at(o, look(rng.choice(stations))) for o in s_at]
        await asyncio.gather(*jobs)
        wall = time.perf_counter() - t0
        cpu1 = machine_cpu()
    span = max([*d_at, *b_at, *s_at, 0.0])
    return {
        "x_peak": x,
        "disputes_per_s": round(PEAK_DISPUTES_PER_S * x, 4),
        "bookings_per_s": round(PEAK_BOOKINGS_PER_S * x, 4),
        "gap_capped": capped,
        "arrivals": {"disputes": len(d_at), "bookings": len(b_at), "board_looks": len(s_at)},
        "wall_seconds": round(wall, 1),
        "tail_after_last_arrival_s": round(wall - span, 1),
        "machine_cpu_busy_share": round((cpu1[0] - cpu0[0]) / max(1.0, cpu1[1] - cpu0[1]), 3),
        "errors": len(errors),
        "first_errors": errors[:3],
        "latency_ms": {
            "officer_action": ms(percentiles(lat.officer_actions())),
            "intake_to_assigned": ms(percentiles(lat.by_step.get("intake_to_assigned", []))),
            "booking": ms(percentiles(booking_lat.get("booking", []))),
            "stuck_board": ms(percentiles(board)),
            **{s: ms(percentiles(lat.by_step.get(s, []))) for s in ("intake", *OFFICER_STEPS)},
        },
    }


def spread(values: list[float]) -> dict[str, float]:
    vals = [v for v in values if v == v]  # NaN: no sample
    if not vals:
        return {"min": float("nan"), "median": float("nan"), "max": float("nan")}
    return {"min": min(vals), "median": statistics.median(vals), "max": max(vals)}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--levels", default="1,10,100,300,1000")
    p.add_argument("--seconds", type=float, default=60, help="arrival window of each level")
    p.add_argument("--max-gap", type=float, default=2.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args(argv)
    levels = [float(x) for x in args.levels.split(",")]
    if args.quick:
        args.seconds, args.reps, levels = 20, 1, [1, 100]
    runs: dict[float, list[dict[str, Any]]] = defaultdict(list)
    with running_stack(db=args.db) as stack:

        async def go() -> None:
            async with internal_client(stack.url("appointments"), TOKEN) as c:
                desk = Desk(c)
                await desk.load()
            # warm-up: one lifecycle, one booking, one board look
            await level(stack, desk, 1, 1, args.max_gap, args.seed + 999)
            for rep in range(args.reps):
                for x in levels:
                    seconds = args.seconds if x >= 100 else min(args.seconds, 20)
                    say(f"open_loop: rep {rep + 1}, {x:g}× peak for {seconds:.0f} s")
                    r = await level(stack, desk, x, seconds, args.max_gap, args.seed + rep)
                    say(f"  {r['latency_ms']['officer_action']['p95']} ms officer p95")
                    runs[x].append(r)

        asyncio.run(go())
    curve = []
    for x in levels:
        reps = runs[x]
        p95 = {k: spread([r["latency_ms"][k]["p95"] for r in reps]) for k in GOALS_AT_100X_P95_MS}
        curve.append(
            {
                "x_peak": x,
                "p95_ms_over_reps": p95,
                "machine_cpu_busy_share": spread([r["machine_cpu_busy_share"] for r in reps]),
                "errors": sum(r["errors"] for r in reps),
            }
        )
    at100 = next((c for c in curve if c["x_peak"] == 100), None)
    goals = (
        {
            k: {"goal_p95_ms": g, "median_p95_ms": at100["p95_ms_over_reps"][k]["median"]}
            | {"met": at100["p95_ms_over_reps"][k]["median"] <= g}
            for k, g in GOALS_AT_100X_P95_MS.items()
        }
        if at100
        else {}
    )
    write_result(
        "open_loop",
        {
            "database": args.db,
            "reps": args.reps,
            "seconds_per_level": args.seconds,
            "curve": curve,
            "goals_at_100x": goals,
            "runs": {f"{x:g}x": runs[x] for x in levels},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
