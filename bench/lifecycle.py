"""Benchmark 1 — the dispute lifecycle per second, against two bare Temporal workflows without
I/O on the same Temporal server, in one run: the first baseline (5 activities, 2 signals) and
the same-shape skeleton, which issues the commands a real green case's history holds (read off
the warm-up case's history: activities, local activities, upserts, updates, timers).

Real: intake through the disputes API → screening → assignment → accept → one follow-up →
closure (red: the chief approves), with the helper's points credited and the notifications
delivered, every process of the stack running on its own (`bench._stack`).
`python -m bench.lifecycle [--quick] [--cases N] [--concurrency C]`
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections import Counter

from tqdm import tqdm

from bench import _bare_lifecycle as bare
from bench import _profile
from bench._disputes import (
    Latencies,
    case_specs,
    internal_client,
    run_case,
    wait_effects,
)
from bench._stack import PY, TOKEN, Stack, running_stack
from bench.common import (
    Timer,
    cpu_delta,
    ms,
    parser,
    percentiles,
    ratio,
    start_process,
    stop_process,
    write_result,
)
from shared.temporal import connect, dispute_workflow_id


async def measure_bare(address: str, n: int, concurrency: int) -> dict[str, float]:
    task_queue = f"bare-{uuid.uuid4().hex[:8]}"
    worker = start_process([PY, "-m", "bench._bare_lifecycle", address, task_queue])
    try:
        client = await connect(address)
        sem = asyncio.Semaphore(concurrency)
        latencies: list[float] = []

        async def one(i: int) -> None:
            async with sem:
                start = time.perf_counter()
                await bare.run_one(client, task_queue, f"{task_queue}-{i}")
                latencies.append(time.perf_counter() - start)

        await one(-1)  # warm-up: the worker is polling
        with Timer() as t:
            await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        stop_process(worker)
    return {
        "lifecycles": n,
        "seconds": round(t.seconds, 2),
        "lifecycles_per_s": round(n / t.seconds, 2),
        "latency_ms": ms(percentiles(latencies)),  # type: ignore[dict-item]
    }


async def measure_same_shape(
    address: str, phases: list[str], n: int, concurrency: int
) -> dict[str, object]:
    task_queue = f"shape-{uuid.uuid4().hex[:8]}"
    worker = start_process([PY, "-m", "bench._bare_lifecycle", address, task_queue])
    try:
        client = await connect(address)
        sem = asyncio.Semaphore(concurrency)
        steps: dict[str, list[float]] = {}

        async def one(i: int) -> None:
            async with sem:
                got = await bare.run_same_shape(client, task_queue, f"{task_queue}-{i}", phases)
                for k, v in got.items():
                    steps.setdefault(k, []).append(v)

        await one(-1)
        steps.clear()
        with Timer() as t:
            await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        stop_process(worker)
    return {
        "lifecycles": n,
        "seconds": round(t.seconds, 2),
        "lifecycles_per_s": round(n / t.seconds, 2),
        "latency_ms": {k: ms(percentiles(v)) for k, v in sorted(steps.items())},
    }


async def real_shape(stack: Stack, seed: int) -> dict[str, object]:
    """One green case driven through the stack; the shape of its history (bare.shape_of)."""
    temporal = await connect(stack.temporal_address)
    spec = next(s for s in case_specs(50, seed + 1000, prefix="shape") if s.colour == "green")
    async with internal_client(stack.url("disputes"), TOKEN) as disputes:
        await run_case(disputes, temporal, spec, Latencies())
    history = await temporal.get_workflow_handle(dispute_workflow_id(spec.case_id)).fetch_history()
    return bare.shape_of(history)


async def measure_real(stack: Stack, n: int, concurrency: int, seed: int) -> dict[str, object]:
    temporal = await connect(stack.temporal_address)
    specs = case_specs(n + 1, seed)
    lat = Latencies()
    async with (
        internal_client(stack.url("disputes"), TOKEN) as disputes,
        internal_client(stack.url("points"), TOKEN) as points,
        internal_client(stack.url("notifications"), TOKEN) as notifications,
    ):
        warm = specs.pop()
        await run_case(disputes, temporal, warm, Latencies())
        sem = asyncio.Semaphore(concurrency)
        done: dict[str, str] = {}
        bar = tqdm(total=n, desc="lifecycles", unit="case", file=sys.stderr)

        async def one(spec: object) -> None:
            from bench._disputes import CaseSpec

            assert isinstance(spec, CaseSpec)
            async with sem:
                done[spec.helper_id] = await run_case(disputes, temporal, spec, lat)
                bar.update()

        with Timer() as actions:
            await asyncio.gather(*(one(s) for s in specs))
        bar.close()
        with Timer() as effects:
            credited, delivered = await wait_effects(points, notifications, done, timeout=600)
    total = actions.seconds + effects.seconds
    return {
        "lifecycles": n,
        "colours": dict(Counter(s.colour for s in specs)),
        "seconds": round(total, 2),
        "actions_seconds": round(actions.seconds, 2),
        "effects_tail_seconds": round(effects.seconds, 2),
        "lifecycles_per_s": round(n / total, 3),
        "points_credited": credited,
        "notifications_delivered": delivered,
        "latency_ms": {step: ms(percentiles(v)) for step, v in sorted(lat.by_step.items())},
    }


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--cases", type=int, help="real lifecycles (default 300, quick 30)")
    p.add_argument("--bare", type=int, help="bare lifecycles (default 1000, quick 200)")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="no py-spy sampling")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--keep-logs", action="store_true")
    args = p.parse_args(argv)
    n = args.cases or (30 if args.quick else 300)
    n_bare = args.bare or (200 if args.quick else 1000)
    shape: dict[str, object] = {}
    same: dict[str, object] = {}
    with running_stack(keep_logs=args.keep_logs, db=args.db) as stack:

        async def both() -> tuple[dict[str, float], dict[str, object]]:
            shape.update(await real_shape(stack, args.seed))
            phases = shape["phases"]
            assert isinstance(phases, list)
            same.update(
                await measure_same_shape(stack.temporal_address, phases, n_bare, args.concurrency)
            )
            b = await measure_bare(stack.temporal_address, n_bare, args.concurrency)
            cpu0 = stack.cpu_seconds()
            if args.profile:
                with _profile.window(stack.python_procs(), stack.var) as files:
                    r = await measure_real(stack, n, args.concurrency, args.seed)
                r["profile"] = {name: _profile.top(f) for name, f in files.items()}
            else:
                r = await measure_real(stack, n, args.concurrency, args.seed)
            r["cpu_seconds_by_process"] = cpu_delta(cpu0, stack.cpu_seconds())
            return b, r

        bare_fig, real_fig = asyncio.run(both())
    real_rate = float(real_fig["lifecycles_per_s"])  # type: ignore[arg-type]
    ok = real_fig["points_credited"] == n and real_fig["notifications_delivered"] == n
    write_result(
        "lifecycle",
        {
            "concurrency": args.concurrency,
            "database": args.db,
            "real": real_fig,
            "bare": bare_fig,
            "real_shape": shape,
            "same_shape": same,
            "ratio_real_to_bare": ratio(real_rate, bare_fig["lifecycles_per_s"]),
            "ratio_real_to_same_shape": ratio(real_rate, float(same["lifecycles_per_s"])),  # type: ignore[arg-type]
            "all_effects_seen": ok,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
