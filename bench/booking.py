"""Benchmark 3: the booking endpoint against a bare conditional UPDATE, under wrk.

For PostgreSQL and SQLite in turn: a fresh appointments database (migrated and seeded), the
appointments service as a uvicorn subprocess (its internal API `POST /internal/v1/bookings`,
the real path: validation, seat claim, booking row, audit, reminder, outbox event), then a
tiny FastAPI app (`bench._bare_booking`) doing only `UPDATE slot SET booked=booked+1 WHERE
id=? AND booked<capacity` on the same database. wrk drives both with a Lua script: a new
resident per request, slots round-robin, every 10th request to one "hot" slot so that seats
are fought over. Afterwards no slot may hold more bookings than seats, and the bookings in
the database must equal the 2xx answers.

`python -m bench.booking [--quick] [--db postgresql sqlite] [--seconds 15] [--connections 16]`
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench import _profile
from bench._cpu import cpu_seconds
from bench._wrk import WrkResult, run_wrk, write_script
from bench.common import (
    create_pg_database,
    drop_pg_database,
    free_port,
    parser,
    private_exchange_name,
    ratio,
    say,
    start_process,
    stop_process,
    wait_http,
    write_result,
)
from shared.db import make_engine
from shared.localtime import local_zone

TOKEN = "bench-booking-token"
SERVICE = "hukou"
HOT_EVERY = 10


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


async def gather_slots(base: str, min_seats: int) -> tuple[list[str], int]:
    """Materialise appointment slots day after day (from tomorrow) until `min_seats` free."""
    headers = {"X-Fengqiao-Internal": TOKEN}
    slots: list[str] = []
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
                    slots.append(s["slot_id"])
                    seats += int(s["free"])
            if seats >= min_seats:
                break
    return slots, seats


async def check_service(url: str, hot: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            over = await conn.scalar(text("SELECT count(*) FROM slot WHERE booked > capacity"))
            mismatch = await conn.scalar(
                text(
                    "SELECT count(*) FROM slot s WHERE s.booked <> (SELECT count(*) FROM booking b"
                    " WHERE b.slot_id = s.id AND b.active)"
                )
            )
            bookings = await conn.scalar(text("SELECT count(*) FROM booking WHERE active"))
            hot_row = (
                await conn.execute(
                    text("SELECT booked, capacity FROM slot WHERE id = :id"), {"id": hot}
                )
            ).one()
    finally:
        await engine.dispose()
    return {
        "slots_over_capacity": int(over or 0),
        "slots_booked_not_equal_bookings": int(mismatch or 0),
        "bookings_in_db": int(bookings or 0),
        "hot_slot_booked": int(hot_row.booked),
        "hot_slot_capacity": int(hot_row.capacity),
    }


async def add_bare_slots(url: str, n: int, capacity: int) -> list[str]:
    """Rows of the same slot table for the bare endpoint (its own ids, same shape)."""
    ids = [f"BARE.{i:06d}.appointment" for i in range(n)]
    engine = make_engine(url)
    start = datetime(2030, 1, 1, 0, 0)
    try:
        async with engine.begin() as conn:
            for i in range(0, n, 5000):
                await conn.execute(
                    text(
                        "INSERT INTO slot (id, office_code, way, starts_at, ends_at, extended,"
                        " capacity, booked) VALUES (:id, 'BARE', 'appointment', :s, :e, false,"
                        " :cap, 0)"
                    ),
                    [
                        {"id": sid, "s": start, "e": start + timedelta(minutes=30), "cap": capacity}
                        for sid in ids[i : i + 5000]
                    ],
                )
    finally:
        await engine.dispose()
    return ids


async def check_bare(url: str, hot: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            over = await conn.scalar(
                text("SELECT count(*) FROM slot WHERE office_code = 'BARE' AND booked > capacity")
            )
            claimed = await conn.scalar(
                text("SELECT coalesce(sum(booked), 0) FROM slot WHERE office_code = 'BARE'")
            )
            hot_row = (
                await conn.execute(
                    text("SELECT booked, capacity FROM slot WHERE id = :id"), {"id": hot}
                )
            ).one()
    finally:
        await engine.dispose()
    return {
        "slots_over_capacity": int(over or 0),
        "seats_claimed_in_db": int(claimed or 0),
        "hot_slot_booked": int(hot_row.booked),
        "hot_slot_capacity": int(hot_row.capacity),
    }


def drive(url: str, make_script: Any, args: Any, pid: int) -> tuple[WrkResult, WrkResult, float]:
    """Warm-up then the measured run; each run books fresh residents (one booking per person).
    Also returns the server process's CPU milliseconds per request of the measured run."""
    warm = run_wrk(url, make_script("w"), seconds=args.warmup, connections=args.connections)
    cpu0 = cpu_seconds(pid)
    main = run_wrk(url, make_script("m"), seconds=args.seconds, connections=args.connections)
    cpu = cpu_seconds(pid) - cpu0
    return warm, main, round(1000 * cpu / main.requests, 2) if main.requests else float("nan")


def in_flight_ok(in_db: int, answered: int, connections: int) -> bool:
    """wrk stops counting at its deadline while up to `connections` requests per run are still
    being served: the database may hold that many more than the 2xx wrk saw, never fewer."""
    return answered <= in_db <= answered + 2 * connections


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


def _measure(kind: str, url: str, args: Any, workdir: Path) -> dict[str, Any]:
    port = free_port()
    env = service_env(url, port, workdir)
    seed = start_process([sys.executable, "-m", "services.appointments.seed"], env=env)
    if seed.wait(300) != 0:
        raise RuntimeError("appointments seed failed")
    base = f"http://127.0.0.1:{port}"
    log = workdir / f"appointments-{kind}.log"
    proc = start_process([sys.executable, "-m", "services.appointments"], env=env, log=log)
    try:
        wait_http(f"{base}/healthz", proc=proc)
        slots, seats = asyncio.run(gather_slots(base, args.seats))
        hot, rest = slots[0], slots[1:]
        say(f"  {kind}: {len(slots):,} slots, {seats:,} seats; wrk -c{args.connections}")

        def script(run: str) -> Path:
            return write_script(
                workdir / f"svc-{kind}-{run}.lua",
                path="/internal/v1/bookings",
                slots=rest,
                hot=hot,
                hot_every=HOT_EVERY,
                prefix=f"res-{kind[:2]}{run}",
                service=SERVICE,
                token=TOKEN,
            )

        s_warm, s_main, s_cpu = drive(base, script, args, proc.pid)
    finally:
        stop_process(proc)
    svc_check = asyncio.run(check_service(url, hot))
    svc_ok = s_warm.ok + s_main.ok
    svc_check["answered_2xx"] = svc_ok
    svc_check["bookings_match_2xx"] = in_flight_ok(
        svc_check["bookings_in_db"], svc_ok, args.connections
    )

    capacity = svc_check["hot_slot_capacity"]
    bare_slots = asyncio.run(add_bare_slots(url, args.bare_slots, capacity))
    bare_port = free_port()
    benv = dict(env, FQ_BENCH_BARE_DB=url)
    bare_args = [
        sys.executable, "-m", "uvicorn", "bench._bare_booking:app", "--host", "127.0.0.1",
        "--port", str(bare_port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    bare = start_process(bare_args, env=benv, log=workdir / f"bare-{kind}.log")
    try:
        wait_http(f"http://127.0.0.1:{bare_port}/docs", proc=bare)

        def bscript(run: str) -> Path:
            return write_script(
                workdir / f"bare-{kind}-{run}.lua",
                path="/book",
                slots=bare_slots[1:],
                hot=bare_slots[0],
                hot_every=HOT_EVERY,
                prefix=f"bare-{kind[:2]}{run}",
                service=SERVICE,
                token=TOKEN,
            )

        b_warm, b_main, b_cpu = drive(f"http://127.0.0.1:{bare_port}", bscript, args, bare.pid)
    finally:
        stop_process(bare)
    bare_check = asyncio.run(check_bare(url, bare_slots[0]))
    bare_check["answered_2xx"] = b_warm.ok + b_main.ok
    bare_check["claimed_match_2xx"] = in_flight_ok(
        bare_check["seats_claimed_in_db"], b_warm.ok + b_main.ok, args.connections
    )

    result: dict[str, Any] = {
        "database": kind,
        "service": s_main.as_dict(),
        "bare": b_main.as_dict(),
        "ratio_requests_per_s_service_over_bare": ratio(s_main.rps, b_main.rps),
        "server_cpu_ms_per_request": {"service": s_cpu, "bare": b_cpu},
        "ratio_cpu_per_request_service_over_bare": ratio(s_cpu, b_cpu),
        "ratio_p95_service_over_bare": ratio(s_main.latency_ms["p95"], b_main.latency_ms["p95"]),
        "service_check": svc_check,
        "bare_check": bare_check,
        "no_overbooking": svc_check["slots_over_capacity"] == 0
        and svc_check["slots_booked_not_equal_bookings"] == 0
        and svc_check["bookings_match_2xx"]
        and bare_check["slots_over_capacity"] == 0
        and bare_check["claimed_match_2xx"],
    }
    if args.profile and kind == args.db[0]:
        result["profile_appointments_service"] = profile_service(env, base, rest[::2], workdir)
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
        load = run_wrk(base, script, seconds=5, connections=8)
        _profile.end(proc)
    finally:
        stop_process(proc)
    d = load.as_dict()
    summary = f"{d['requests']} requests, {d['status_2xx']} 2xx, {d['status_409_full']} 409"
    return {"load": [summary], **_profile.top(out)}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--db", nargs="+", default=["postgresql", "sqlite"])
    p.add_argument("--seconds", type=float, default=15.0, help="wrk duration per endpoint")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--seats", type=int, default=12000, help="free seats to materialise")
    p.add_argument("--bare-slots", type=int, default=40000)
    p.add_argument("--no-profile", dest="profile", action="store_false")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.seats, args.bare_slots = 3.0, 1.0, 1500, 5000
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
            "runs": runs,
            "no_overbooking": ok,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
