"""Benchmark 3: the booking endpoint against a bare conditional UPDATE, under wrk.

For PostgreSQL and SQLite in turn: a fresh appointments database (migrated and seeded), the
appointments service as a uvicorn subprocess (its internal API `POST /internal/v1/bookings`,
the real path: validation, seat claim, booking row, audit, reminder, outbox event), then a
tiny FastAPI app (`bench._bare_booking`) doing only `UPDATE slot SET booked=booked+1 WHERE
id=? AND booked<capacity` on the same database. wrk drives both with a Lua script: a new
resident per request, slots round-robin, every 10th request to one "hot" slot so that seats
are fought over. Afterwards no slot may hold more bookings than seats, and the bookings in
the database must equal the 2xx answers.

Each wrk run (warm-up, every measured run, the profile pass) books its own share of the
slots, with enough free seats for `--seats-per-second` bookings a second for its whole length
(or `--seats` at least): a run that reused an earlier run's slots would measure "slot full"
answers instead of bookings. Each run says how many answers were 409 and how many seats its
share had left (0 left: the share ran out, raise `--seats-per-second`).

`python -m bench.booking [--quick] [--db postgresql sqlite] [--seconds 15] [--connections 16]`
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import _profile
from bench._booking_db import (
    add_bare_slots,
    check_bare,
    check_service,
    free_seats,
    slot_capacity,
)
from bench._wrk import run_wrk, write_script
from bench.common import (
    REPETITIONS,
    cpu_window,
    create_pg_database,
    drop_pg_database,
    free_port,
    headline,
    parser,
    private_exchange_name,
    ratio,
    rss_mib,
    say,
    spread,
    start_process,
    stop_process,
    wait_http,
    write_result,
)
from shared.localtime import local_zone

TOKEN = "bench-booking-token"
SERVICE = "hukou"
HOT_EVERY = 10
PROFILE_SECONDS = 5.0


def service_env(url: str, port: int, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(workdir),
        FQ_APPOINTMENTS_DATABASE_URL=url,
        FQ_APPOINTMENTS_PORT=str(port),
        FQ_APPOINTMENTS_RUN_JOBS="false",
        FQ_APPOINTMENTS_JOBS_INTERVAL_SECONDS="3600",
        FQ_EXCHANGE=private_exchange_name(),
        FQ_INTERNAL_TOKEN=TOKEN,
        FQ_LOG_LEVEL="WARNING",
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # nobody: bookings need no Temporal
    )
    return env


async def gather_slots(base: str, min_seats: int) -> list[tuple[str, int]]:
    """Materialise appointment slots day after day (from tomorrow) until `min_seats` free:
    (slot id, free seats) in the order found."""
    headers = {"X-Fengqiao-Internal": TOKEN}
    slots: list[tuple[str, int]] = []
    seats = 0
    today = datetime.now(local_zone()).date()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        offices = (await c.get("/internal/v1/offices", params={"service": SERVICE})).json()
        for ahead in range(1, 30):
            day: date = today + timedelta(days=ahead)
            for o in offices:
                params = {"service": SERVICE, "office": o["code"], "date": day.isoformat()}
                r = await c.get("/internal/v1/slots", params=params)
                if r.status_code != 200:
                    continue  # closed that day
                for s in r.json():
                    slots.append((s["slot_id"], int(s["free"])))
                    seats += int(s["free"])
            if seats >= min_seats:
                break
    return slots


def shares(slots: list[tuple[str, int]], needs: list[int]) -> list[list[str]]:
    """Disjoint runs of `slots`, in order, the i-th holding at least `needs[i]` free seats (the
    last ones fewer when the calendar had too few: the run's seats-left figure will say 0)."""
    out: list[list[str]] = [[] for _ in needs]
    i, have = 0, 0
    for sid, free in slots:
        out[i].append(sid)
        have += free
        if have >= needs[i] and i < len(needs) - 1:
            i, have = i + 1, 0
    return [part or [slots[-1][0]] for part in out]


def in_flight_ok(in_db: int, answered: int, connections: int, runs: int) -> bool:
    """wrk stops counting at its deadline while up to `connections` requests per run are still
    being served: the database may hold that many more than the 2xx wrk saw, never fewer."""
    return answered <= in_db <= answered + runs * connections


def measure(kind: str, args: Any, workdir: Path) -> dict[str, Any]:
    pg_name: str | None = None
    if kind == "postgresql":
        pg_name, url = create_pg_database("fq_bench_booking")
    else:
        url = f"sqlite+aiosqlite:///{workdir / f'appointments-{uuid.uuid4().hex[:6]}.db'}"
    try:
        return _measure(kind, url, args, workdir)
    finally:
        if pg_name is not None:
            drop_pg_database(pg_name)


def _one(url: str, script: Path, args: Any, pids: dict[str, int]) -> dict[str, Any]:
    """One measured wrk run with the CPU it cost: the server's and the whole machine's."""
    with cpu_window(pids, sample_background=args.background_seconds) as w:
        r = run_wrk(url, script, seconds=args.seconds, connections=args.connections)
    return {**r.as_dict(), "cpu": w.per_op(r.requests), "_ok": r.ok}


def _measure(kind: str, url: str, args: Any, workdir: Path) -> dict[str, Any]:
    port = free_port()
    env = service_env(url, port, workdir)
    seed = start_process([sys.executable, "-m", "services.appointments.seed"], env=env)
    if seed.wait(300) != 0:
        raise RuntimeError("appointments seed failed")
    base = f"http://127.0.0.1:{port}"
    proc = start_process(
        [sys.executable, "-m", "services.appointments"], env=env, log=workdir / f"svc-{kind}.log"
    )
    bare: Any = None
    svc_runs: list[dict[str, Any]] = []
    bare_runs: list[dict[str, Any]] = []
    try:
        wait_http(f"{base}/healthz", proc=proc)
        lengths = [args.warmup] + [args.seconds] * args.repetitions + [PROFILE_SECONDS]
        needs = [max(args.seats, math.ceil(t * args.seats_per_second)) for t in lengths]
        found = asyncio.run(gather_slots(base, sum(needs) + 10))  # + the hot slot's
        hot = found[0][0]
        parts = shares(found[1:], needs)  # warm-up, each measured run, the profile pass
        slots, seats = [sid for sid, _ in found], sum(free for _, free in found)
        capacity = asyncio.run(slot_capacity(url, hot))
        bare_slots = asyncio.run(add_bare_slots(url, args.bare_slots, capacity))
        bare_port = free_port()
        bare_args = [
            sys.executable, "-m", "uvicorn", "bench._bare_booking:app", "--host", "127.0.0.1",
            "--port", str(bare_port), "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        bare = start_process(
            bare_args, env=dict(env, FQ_BENCH_BARE_DB=url), log=workdir / f"bare-{kind}.log"
        )
        bare_base = f"http://127.0.0.1:{bare_port}"
        wait_http(f"{bare_base}/docs", proc=bare)
        say(f"  {kind}: {len(slots):,} slots, {seats:,} seats; wrk -c{args.connections}")

        def script(run: str, is_bare: bool) -> Path:
            part = parts[0 if run == "w" else int(run[1:]) + 1]
            return write_script(
                workdir / f"{'bare' if is_bare else 'svc'}-{kind}-{run}.lua",
                path="/book" if is_bare else "/internal/v1/bookings",
                slots=bare_slots[1:] if is_bare else part,
                hot=bare_slots[0] if is_bare else hot,
                hot_every=HOT_EVERY,
                prefix=f"{'bare' if is_bare else 'res'}-{kind[:2]}{run}",
                service=SERVICE,
                token=TOKEN,
            )

        idle = {"service": rss_mib(proc.pid), "bare": rss_mib(bare.pid)}
        warm_ok = {
            "service": run_wrk(base, script("w", False), seconds=args.warmup,
                               connections=args.connections).ok,
            "bare": run_wrk(bare_base, script("w", True), seconds=args.warmup,
                            connections=args.connections).ok,
        }  # fmt: skip
        # repetitions paired: the service then the bare endpoint, close together in time, so
        # each ratio compares the two under the same load from the machine's other users
        for i in range(args.repetitions):
            svc_runs.append(_one(base, script(f"m{i}", False), args, {"service": proc.pid}))
            bare_runs.append(_one(bare_base, script(f"m{i}", True), args, {"bare": bare.pid}))
            say(
                f"  run {i + 1}: service {svc_runs[-1]['requests_per_s']}/s, "
                f"bare {bare_runs[-1]['requests_per_s']}/s"
            )
        peak = {"service": rss_mib(proc.pid), "bare": rss_mib(bare.pid)}
    finally:
        stop_process(proc)
        if bare is not None:
            stop_process(bare)
    svc_check = asyncio.run(check_service(url, hot))
    for i, r in enumerate(svc_runs):
        r["seats_left_in_its_share"] = asyncio.run(free_seats(url, parts[i + 1]))
    svc_ok = warm_ok["service"] + sum(r.pop("_ok") for r in svc_runs)
    svc_check["answered_2xx"] = svc_ok
    n = args.repetitions + 1
    svc_check["bookings_match_2xx"] = in_flight_ok(
        svc_check["bookings_in_db"], svc_ok, args.connections, n
    )
    bare_check = asyncio.run(check_bare(url, bare_slots[0]))
    bare_ok = warm_ok["bare"] + sum(r.pop("_ok") for r in bare_runs)
    bare_check["answered_2xx"] = bare_ok
    bare_check["claimed_match_2xx"] = in_flight_ok(
        bare_check["seats_claimed_in_db"], bare_ok, args.connections, n
    )
    ratios = [
        ratio(a["requests_per_s"], b["requests_per_s"])
        for a, b in zip(svc_runs, bare_runs, strict=True)
    ]
    result: dict[str, Any] = {
        "database": kind,
        "figures": {
            "ratio_requests_per_s_service_over_bare": spread(ratios),
            "service_requests_per_s": spread([r["requests_per_s"] for r in svc_runs]),
            "bare_requests_per_s": spread([r["requests_per_s"] for r in bare_runs]),
            "service_409_share": spread(
                [round(r["status_409_full"] / max(r["requests"], 1), 4) for r in svc_runs]
            ),
            "bare_409_share": spread(
                [round(r["status_409_full"] / max(r["requests"], 1), 4) for r in bare_runs]
            ),
            "service_p95_ms": spread([r["latency_ms"]["p95"] for r in svc_runs]),
            "bare_p95_ms": spread([r["latency_ms"]["p95"] for r in bare_runs]),
            "service_process_cpu_ms_per_request": spread(
                [r["cpu"]["process_cpu_ms_per_op"]["service"] for r in svc_runs]
            ),
            "bare_process_cpu_ms_per_request": spread(
                [r["cpu"]["process_cpu_ms_per_op"]["bare"] for r in bare_runs]
            ),
            "service_machine_cpu_ms_per_request": spread(
                [r["cpu"]["machine_cpu_ms_per_op"] for r in svc_runs]
            ),
            "bare_machine_cpu_ms_per_request": spread(
                [r["cpu"]["machine_cpu_ms_per_op"] for r in bare_runs]
            ),
        },
        "rss_mib": {"idle": idle, "after_load": peak},
        "service_runs": svc_runs,
        "bare_runs": bare_runs,
        "service_check": svc_check,
        "bare_check": bare_check,
        "no_overbooking": svc_check["slots_over_capacity"] == 0
        and svc_check["slots_booked_not_equal_bookings"] == 0
        and svc_check["bookings_match_2xx"]
        and bare_check["slots_over_capacity"] == 0
        and bare_check["claimed_match_2xx"],
    }
    if args.profile and kind == args.db[0]:
        result["profile_appointments_service"] = profile_service(env, base, parts[-1], workdir)
    return result


def profile_service(
    env: dict[str, str], base: str, slots: list[str], workdir: Path
) -> dict[str, list[str]]:
    """A short extra wrk pass with py-spy sampling the service (figures above unaffected)."""
    out = workdir / "appointments.pyspy.txt"
    proc = start_process([sys.executable, "-m", "services.appointments"], env=env)
    try:
        wait_http(f"{base}/healthz", proc=proc)
        script = write_script(
            workdir / "prof.lua",
            path="/internal/v1/bookings",
            slots=slots,
            hot=slots[0],
            hot_every=0,
            prefix="prof",
            service=SERVICE,
            token=TOKEN,
        )
        _profile.begin(proc, out)
        load = run_wrk(base, script, seconds=PROFILE_SECONDS, connections=8)
        _profile.end(proc)
    finally:
        stop_process(proc)
    d = load.as_dict()
    summary = f"{d['requests']} requests, {d['status_2xx']} 2xx, {d['status_409_full']} 409"
    return {"load": [summary], **_profile.top(out)}


def headline_row(run: dict[str, Any]) -> dict[str, Any]:
    f = run["figures"]
    r = f["ratio_requests_per_s_service_over_bare"]
    over = run["service_check"]["slots_over_capacity"]
    return headline(
        path=f"booking endpoint ({run['database']}, wrk 16 connections)",
        fengqiao=f"{f['service_requests_per_s']['median']:,.0f} req/s, "
        f"p95 {f['service_p95_ms']['median']:,.0f} ms, {over} overbooked",
        baseline=f"conditional UPDATE {f['bare_requests_per_s']['median']:,.0f} req/s",
        ratio=r,
        goal="≥ 0.5, 0 overbooked",
        met=r["median"] >= 0.5 and run["no_overbooking"],
        cpu=f"{f['service_machine_cpu_ms_per_request']['median']:.1f} ms vs "
        f"{f['bare_machine_cpu_ms_per_request']['median']:.1f} ms (machine); "
        f"{f['service_process_cpu_ms_per_request']['median']:.1f} vs "
        f"{f['bare_process_cpu_ms_per_request']['median']:.1f} ms (server)",
        order=10 if run["database"] == "postgresql" else 11,
    )


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--db", nargs="+", default=["postgresql", "sqlite"])
    p.add_argument("--seconds", type=float, default=15.0, help="wrk duration per endpoint")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument(
        "--seats-per-second",
        type=float,
        default=800.0,
        help="free seats materialised per second of each run (above the service's rate)",
    )
    p.add_argument("--seats", type=int, default=0, help="free seats per run at least")
    p.add_argument("--bare-slots", type=int, default=40000)
    p.add_argument("--repetitions", type=int, default=REPETITIONS)
    p.add_argument(
        "--background-seconds",
        type=float,
        default=2.0,
        help="the machine's busy rate is sampled this long before each run",
    )
    p.add_argument("--no-profile", dest="profile", action="store_false")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.bare_slots = 3.0, 1.0, 5000
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fq-bench-booking-") as tmp:
        for kind in args.db:
            say(f"booking: {kind}")
            runs.append(measure(kind, args, Path(tmp)))
    ok = all(r["no_overbooking"] for r in runs)
    write_result(
        "booking",
        {
            "load_generator": f"wrk 1 thread, {args.connections} connections, Lua POST bodies",
            "seconds_per_endpoint": args.seconds,
            "repetitions": args.repetitions,
            "headline": [headline_row(r) for r in runs],
            "runs": runs,
            "no_overbooking": ok,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
