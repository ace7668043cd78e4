"""Benchmark 2 — a year of Guyuan: 6,500 disputes and 18,000 bookings (the year's mix of
colours, categories, services and ways, generated from a seed) replayed through the running
stack, interleaved; then the scale-out comparison (1 vs 2 dispute workers and consumer
processes per service).

Time-compressed: a dispute is driven intake → screening → assignment → accept → follow-up →
closure (red: chief approval) as fast as the officers' clients can go; no timer fires. The
baseline is the bare Temporal lifecycle of benchmark 1, measured on the same server in the
same run. `--fraction 0.1` replays a tenth of the year (the figures say which).

Each service on its own PostgreSQL database by default (`--db sqlite` for the embedded
layout); py-spy samples every process for a minute once 30 % of the operations are done.

`python -m bench.year_of_guyuan [--quick] [--fraction F] [--db D]
    [--scale-out | --workers N --consumers N] [--profile-seconds S]`
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from typing import Any

import httpx
import psycopg
from tqdm import tqdm

from bench import _profile
from bench._bookings import BookingSpec, Desk, booking_specs
from bench._disputes import (
    HELPER_POINTS,
    CaseSpec,
    Latencies,
    case_specs,
    internal_client,
    run_case,
)
from bench._stack import TOKEN, Stack, running_stack
from bench.common import Timer, cpu_delta, ms, parser, percentiles, ratio, say, write_result
from bench.lifecycle import measure_bare
from shared.temporal import connect

YEAR_DISPUTES = 6_500
YEAR_BOOKINGS = 18_000


def effects(stack: Stack) -> dict[str, int]:
    """Counted in the services' own databases: credits, deliveries, bookings."""
    one = stack.scalar
    return {
        "closure_credits": one(
            "points", "SELECT count(*) FROM entries WHERE idem_key LIKE 'dispute.closed:%'"
        ),
        "cases_with_closure_notified": one(
            "notifications",
            "SELECT count(DISTINCT reference) FROM deliveries WHERE routing_key = 'dispute.closed'",
        ),
        "deliveries_queued": one(
            "notifications", "SELECT count(*) FROM deliveries WHERE status = 'queued'"
        ),
        "deliveries_total": one("notifications", "SELECT count(*) FROM deliveries"),
        "bookings": one("appointments", "SELECT count(*) FROM booking"),
    }


async def wait_settled(stack: Stack, cases: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            e = effects(stack)
        except (sqlite3.OperationalError, psycopg.OperationalError):  # busy: look again
            await asyncio.sleep(0.5)
            continue
        settled = (
            e["closure_credits"] >= cases
            and e["cases_with_closure_notified"] >= cases
            and e["deliveries_queued"] == 0
        )
        if settled or time.monotonic() > deadline:
            return e
        await asyncio.sleep(0.5)


PROFILE_AT = 0.3  # share of the operations done when the py-spy window opens


async def sample_profiles(stack: Stack, reached: asyncio.Event, seconds: float) -> dict[str, Any]:
    """py-spy on every process for `seconds` once `reached` is set."""
    await reached.wait()
    with _profile.window(stack.python_procs(), stack.var) as files:
        await asyncio.sleep(seconds)
    return {
        "window": f"{seconds:.0f} s from {PROFILE_AT:.0%} of the operations",
        **{name: _profile.top(f) for name, f in files.items()},
    }


async def replay(
    stack: Stack,
    disputes: list[CaseSpec],
    bookings: list[BookingSpec],
    concurrency: int,
    seed: int,
    profile_seconds: float = 0,
) -> dict[str, Any]:
    temporal = await connect(stack.temporal_address)
    ops: list[CaseSpec | BookingSpec] = [*disputes, *bookings]
    random.Random(seed).shuffle(ops)
    lat = Latencies()
    blat: dict[str, list[float]] = defaultdict(list)
    booked, unbooked, failed = 0, 0, Counter[str]()
    closed = 0
    async with (
        internal_client(stack.url("disputes"), TOKEN) as dclient,
        internal_client(stack.url("appointments"), TOKEN) as aclient,
    ):
        desk = Desk(aclient)
        await desk.load()
        sem = asyncio.Semaphore(concurrency)
        reached = asyncio.Event()
        bar = tqdm(total=len(ops), desc="year of Guyuan", unit="op", file=sys.stderr)

        async def one(op: CaseSpec | BookingSpec) -> None:
            nonlocal booked, unbooked, closed
            async with sem:
                try:
                    if isinstance(op, CaseSpec):
                        await run_case(dclient, temporal, op, lat)
                        closed += 1
                    elif await desk.book(op, blat):
                        booked += 1
                    else:
                        unbooked += 1
                except (httpx.HTTPError, RuntimeError, TimeoutError) as exc:
                    if not failed[type(exc).__name__]:
                        say(f"first {type(exc).__name__}: {exc!r}"[:500])
                    failed[type(exc).__name__] += 1
                bar.update()
                if bar.n >= PROFILE_AT * len(ops):
                    reached.set()

        cpu0 = stack.cpu_seconds()
        profiling = None
        if profile_seconds:
            profiling = asyncio.create_task(sample_profiles(stack, reached, profile_seconds))
        with Timer() as t_ops:
            await asyncio.gather(*(one(op) for op in ops))
        bar.close()
        profile = await profiling if profiling is not None else None
        with Timer() as t_tail:
            settled = await wait_settled(stack, closed, timeout=300)
        cpu1 = stack.cpu_seconds()
    wall = t_ops.seconds + t_tail.seconds
    return {
        "disputes": len(disputes),
        "disputes_closed": closed,
        "bookings_requested": len(bookings),
        "bookings_made": booked,
        "bookings_without_free_slot": unbooked,
        "failed_ops": dict(failed),
        "colours": dict(Counter(d.colour for d in disputes)),
        "services": dict(Counter(b.service_code for b in bookings)),
        "ways": dict(Counter(b.way for b in bookings)),
        "wall_seconds": round(wall, 1),
        "ops_seconds": round(t_ops.seconds, 1),
        "effects_tail_seconds": round(t_tail.seconds, 1),
        "disputes_per_s": round(closed / wall, 3),
        "bookings_per_s": round(booked / t_ops.seconds, 2),
        "ops_per_s": round(len(ops) / wall, 2),
        "officer_actions_ms": ms(percentiles(lat.officer_actions())),
        "bookings_ms": ms(percentiles(blat["booking"])),
        "slot_search_ms": ms(percentiles(blat["slots"])),
        "intake_ms": ms(percentiles(lat.by_step["intake"])),
        "intake_to_assigned_ms": ms(percentiles(lat.by_step["intake_to_assigned"])),
        "effects": settled,
        "exact": settled["closure_credits"] == closed
        and settled["cases_with_closure_notified"] == closed
        and settled["deliveries_queued"] == 0
        and settled["bookings"] == booked
        and not failed,
        "cpu_seconds_by_process": cpu_delta(cpu0, cpu1),
        "helper_points_each": HELPER_POINTS,
        "profile": profile,
    }


def one_run(
    n_disputes: int, n_bookings: int, *, workers: int, consumers: int, args: Any
) -> dict[str, Any]:
    say(f"replay: {n_disputes:,} disputes, {n_bookings:,} bookings, {workers} dispute worker(s),"
        f" {consumers} process(es) per consuming service, {args.db}")  # fmt: skip
    disputes = case_specs(n_disputes, args.seed, prefix="y")
    bookings = booking_specs(n_bookings, args.seed)
    with running_stack(
        workers=workers, consumers=consumers, keep_logs=args.keep_logs, db=args.db
    ) as stack:

        async def go() -> dict[str, Any]:
            bare = await measure_bare(stack.temporal_address, args.bare, args.concurrency)
            fig = await replay(
                stack, disputes, bookings, args.concurrency, args.seed, args.profile_seconds
            )
            fig["bare_lifecycles_per_s"] = bare["lifecycles_per_s"]
            fig["ratio_disputes_to_bare"] = ratio(fig["disputes_per_s"], bare["lifecycles_per_s"])
            return fig

        fig = asyncio.run(go())
    fig["workers"] = workers
    fig["consumers_per_service"] = consumers
    return fig


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--fraction", type=float, help="share of the year (default 1, quick 0.01)")
    p.add_argument("--workers", type=int, default=1, help="dispute-worker processes")
    p.add_argument("--consumers", type=int, default=1, help="processes per consuming service")
    p.add_argument("--scale-out", action="store_true", help="run 1/1 then 2/2 and compare")
    p.add_argument("--concurrency", type=int, default=32, help="clients in flight")
    p.add_argument("--bare", type=int, default=300, help="bare lifecycles for the baseline")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep-logs", action="store_true")
    p.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--profile-seconds", type=float, default=60, help="py-spy window (0: none)")
    args = p.parse_args(argv)
    fraction = args.fraction or (0.01 if args.quick else 1.0)
    n_d = max(1, round(YEAR_DISPUTES * fraction))
    n_b = max(1, round(YEAR_BOOKINGS * fraction))
    setups = [(1, 1), (2, 2)] if args.scale_out else [(args.workers, args.consumers)]
    runs = [one_run(n_d, n_b, workers=w, consumers=c, args=args) for w, c in setups]
    result: dict[str, Any] = {
        "fraction_of_year": fraction,
        "concurrency": args.concurrency,
        "database": args.db,
    }
    for fig in runs:
        result[f"run_{fig['workers']}w_{fig['consumers_per_service']}c"] = fig
    if len(runs) == 2:
        result["scale_out_disputes_per_s_2_over_1"] = ratio(
            runs[1]["disputes_per_s"], runs[0]["disputes_per_s"]
        )
        result["scale_out_ops_per_s_2_over_1"] = ratio(runs[1]["ops_per_s"], runs[0]["ops_per_s"])
    # the whole year at the measured pace, linearly (the replay is time-compressed: no timer
    # waits; linear holds while the databases stay small enough to keep their per-op cost)
    result["full_year_estimate_seconds"] = round(runs[-1]["wall_seconds"] / fraction, 0)
    write_result("year_of_guyuan", result)
    return 0 if all(r["exact"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
