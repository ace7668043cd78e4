"""Benchmark 6: resident memory of the idle embedded stack, per process and in all.

The stack `deploy/run.py` starts (bench/_stack.py: the Temporal dev server, the five services,
the disputes and home-visits workers, the message sink; SQLite databases, migrated and
seeded, no demo county), left idle for `--settle` seconds once every process answers; then
each process's RSS (with its children) and its peak (VmHWM) since start. The broker and
PostgreSQL are not part of the embedded stack (RabbitMQ is the machine's own, shared with
others); RabbitMQ's RSS is reported beside it. Each repetition starts a fresh stack.

`python -m bench.memory [--quick] [--settle 20] [--repetitions 3]`
"""

from __future__ import annotations

import sys
import time
from typing import Any

from bench._stack import running_stack
from bench.common import (
    REPETITIONS,
    headline,
    parser,
    rss_by_name,
    rss_of,
    say,
    spread,
    write_result,
)

GOAL_MIB = 1.5 * 1024


def measure_once(settle: float) -> dict[str, Any]:
    with running_stack(db="sqlite") as stack:
        pids = {name: p.pid for name, p in stack.procs.items()}
        time.sleep(settle)
        per = rss_of(pids)
    total = round(sum(v["rss_mib"] for v in per.values()), 1)
    peak = round(sum(v["peak_rss_mib"] for v in per.values()), 1)
    say(f"  idle stack: {total:,.0f} MiB resident (peaks summed {peak:,.0f} MiB)")
    return {"processes": per, "total_rss_mib": total, "total_peak_rss_mib": peak}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--settle", type=float, default=20.0, help="idle seconds before sampling")
    p.add_argument("--repetitions", type=int, default=REPETITIONS)
    args = p.parse_args(argv)
    if args.quick:
        args.settle, args.repetitions = 5.0, 1
    runs = []
    for i in range(args.repetitions):
        say(f"memory: embedded stack, run {i + 1}")
        runs.append(measure_once(args.settle))
    total = spread([r["total_rss_mib"] for r in runs], 1)
    names = list(runs[0]["processes"])
    per_process = {
        n: {
            "rss_mib": spread([r["processes"][n]["rss_mib"] for r in runs], 1),
            "peak_rss_mib": spread([r["processes"][n]["peak_rss_mib"] for r in runs], 1),
        }
        for n in names
    }
    met = total["max"] < GOAL_MIB
    biggest = sorted(names, key=lambda n: -per_process[n]["rss_mib"]["median"])[:3]
    write_result(
        "memory",
        {
            "settle_seconds": args.settle,
            "repetitions": args.repetitions,
            "headline": [
                headline(
                    path="idle embedded stack, RSS (all services, workers, Temporal dev server)",
                    fengqiao=f"{total['median']:,.0f} MiB ({total['min']:,.0f}–{total['max']:,.0f})"
                    + "; most: "
                    + ", ".join(f"{n} {per_process[n]['rss_mib']['median']:.0f}" for n in biggest),
                    baseline="—",
                    ratio=None,
                    goal="< 1,536 MiB",
                    met=met,
                    order=40,
                )
            ],
            "total_rss_mib": total,
            "total_peak_rss_mib": spread([r["total_peak_rss_mib"] for r in runs], 1),
            "per_process": per_process,
            "rabbitmq_beside_rss_mib": rss_by_name("beam.smp"),
            "runs": runs,
        },
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
