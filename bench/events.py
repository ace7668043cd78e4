"""Benchmark 4: events/s the points consumer applies, against raw aio-pika consume+ack.

On a private exchange of the real broker, N `dispute.closed` events (1-2 helpers each from a
pool of residents, 5% of them delivered twice with the same message id) are published into
the points service's own queue (declared exactly as its consumer declares it) while the
service is down; then `python -m services.points` starts and drains it through the real
consumer: inbox claim, account upsert, idempotent ledger credit, hash chain, outbox event.
The rate is taken from the ledger entries' own timestamps (first to last), so start-up is
not counted; the wall time from start to the last entry is reported too. The baseline
drains the same messages from an identical quorum queue with aio-pika, prefetch alike, doing
nothing but ack. Afterwards every helper holds exactly the points of its cases.

`python -m bench.events [--quick] [--events 5000] [--db postgresql sqlite]`
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aio_pika
from sqlalchemy import text

from bench import _profile
from bench._cpu import cpu_seconds
from bench.common import (
    AMQP_URL,
    create_pg_database,
    delete_exchange,
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
from services.points.consumer import PATTERNS
from services.points.rules import load_rules
from shared import migrate
from shared.config import PointsSettings
from shared.db import make_engine
from shared.messaging.broker import Broker, declare_service_queue
from shared.messaging.contracts.disputes import DisputeClosed

HELPERS = 3000
DUPLICATE_SHARE = 0.05
PREFETCH = PointsSettings().queue_prefetch


def make_events(n: int, seed: int = 8) -> list[DisputeClosed]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        helpers = rnd.sample(range(HELPERS), rnd.choice((1, 1, 2)))
        out.append(
            DisputeClosed(
                case_id=f"bench-{i:06d}",
                case_no=f"FQB-{i:06d}",
                colour=rnd.choice(("green", "green", "yellow", "red")),
                stage="closed",
                village_code=f"VB{i % 655:04d}",
                station_code=f"SB{i % 62:02d}",
                settlement="mediation agreement",
                helper_ids=[f"res-bench-{h:05d}" for h in helpers],
            )
        )
    return out


def expected_balances(events: list[DisputeClosed], per_help: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        for h in e.helper_ids:
            out[h] = out.get(h, 0) + per_help
    return out


async def preload(exchange: str, service: str, events: list[DisputeClosed]) -> int:
    """Declare `service`'s queue as `Consumer` does and publish the events (some twice)."""
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    rnd = random.Random(9)
    batch = [*events, *rnd.sample(events, int(len(events) * DUPLICATE_SHARE))]
    try:
        conn = await aio_pika.connect(AMQP_URL)
        async with conn:
            ch = await conn.channel()
            ex = await broker.declare_exchanges(ch)
            await declare_service_queue(ch, ex, service, PATTERNS)
        for i in range(0, len(batch), 500):
            await asyncio.gather(*(broker.publish_event(e) for e in batch[i : i + 500]))
    finally:
        await broker.close()
    return len(batch)


async def raw_drain(exchange: str, expected: int) -> dict[str, Any]:
    """Consume + ack only: the broker's and aio-pika's share of the cost."""
    conn = await aio_pika.connect(AMQP_URL)
    done = asyncio.Event()
    seen = 0
    first = last = cpu_first = cpu_last = 0.0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal seen, first, last, cpu_first, cpu_last
        if seen == 0:
            first, cpu_first = time.perf_counter(), time.process_time()
        await message.ack()
        seen += 1
        last, cpu_last = time.perf_counter(), time.process_time()
        if seen >= expected:
            done.set()

    async with conn:
        ch = await conn.channel()
        await ch.set_qos(prefetch_count=PREFETCH)
        queue = await ch.get_queue(f"{exchange}.bench")
        await queue.consume(on_message)
        await asyncio.wait_for(done.wait(), timeout=600)
    seconds = last - first
    return {
        "messages": seen,
        "seconds": round(seconds, 3),
        "messages_per_s": round((seen - 1) / seconds, 1) if seconds else float("nan"),
        "consumer_cpu_ms_per_message": round(1000 * (cpu_last - cpu_first) / max(1, seen - 1), 3),
    }


async def ledger_state(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            n = int(await conn.scalar(text("SELECT count(*) FROM entries")) or 0)
            first, last = (
                await conn.execute(text("SELECT min(created_at), max(created_at) FROM entries"))
            ).one()
            inbox = int(await conn.scalar(text("SELECT count(*) FROM inbox")) or 0)
            balances = {
                r.id: int(r.balance)
                for r in await conn.execute(text("SELECT id, balance FROM accounts"))
            }
    finally:
        await engine.dispose()
    return {"entries": n, "first": first, "last": last, "inbox": inbox, "balances": balances}


async def wait_entries(url: str, expected: int, timeout: float, pid: int) -> dict[str, Any]:
    """Poll until the ledger is complete; CPU of the consumer process per applied event is
    taken between the first poll that sees an applied event and completion."""
    deadline = time.monotonic() + timeout
    engine = make_engine(url)
    first: tuple[float, int] | None = None
    last = (0.0, 0)
    try:
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                n = int(await conn.scalar(text("SELECT count(*) FROM entries")) or 0)
                applied = int(await conn.scalar(text("SELECT count(*) FROM inbox")) or 0)
            last = (cpu_seconds(pid), applied)
            if first is None and applied > 0:
                first = last
            if n >= expected:
                break
            await asyncio.sleep(0.25)
    finally:
        await engine.dispose()
    await asyncio.sleep(1.0)  # let duplicates still in flight land (they must change nothing)
    state = await ledger_state(url)
    if first is not None and last[1] > first[1]:
        state["cpu_ms_per_event"] = round(1000 * (last[0] - first[0]) / (last[1] - first[1]), 2)
    else:
        state["cpu_ms_per_event"] = float("nan")
    return state


def _ts(value: datetime | str) -> datetime:
    """Raw SQL on SQLite hands timestamps back as text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def points_env(url: str, exchange: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(workdir),
        FQ_POINTS_DATABASE_URL=url,
        FQ_POINTS_PORT=str(free_port()),
        FQ_EXCHANGE=exchange,
        AMQP_URL=AMQP_URL,
        FQ_LOG_LEVEL="WARNING",
        FQ_INTERNAL_TOKEN="bench-events-token",
    )
    return env


def measure_points(kind: str, events: list[DisputeClosed], workdir: Path, prof: bool) -> Any:
    exchange = private_exchange_name()
    pg_name: str | None = None
    if kind == "postgresql":
        pg_name, url = create_pg_database("fq_bench_points")
    else:
        url = f"sqlite+aiosqlite:///{workdir / f'points-{uuid.uuid4().hex[:6]}.db'}"
    per_help = load_rules(PointsSettings().rules_file).mediation_help
    want = expected_balances(events, per_help)
    expected_entries = sum(len(e.helper_ids) for e in events)
    env = points_env(url, exchange, workdir)
    out = workdir / f"points-{kind}.pyspy.txt"
    args = [sys.executable, "-m", "services.points"]
    try:
        migrate.upgrade("points", url)
        published = asyncio.run(preload(exchange, "points", events))
        started = time.perf_counter()
        proc = start_process(args, env=env, log=workdir / f"points-{kind}.log")
        try:
            if prof:
                wait_http(f"http://127.0.0.1:{env['FQ_POINTS_PORT']}/healthz", proc=proc)
                _profile.begin(proc, out)
            state = asyncio.run(wait_entries(url, expected_entries, 900, proc.pid))
            wall = time.perf_counter() - started
            if prof:
                _profile.end(proc)
        finally:
            stop_process(proc)
    finally:
        asyncio.run(delete_exchange(exchange))
        if pg_name is not None:
            drop_pg_database(pg_name)
    if prof:
        return _profile.top(out)
    span = (
        (_ts(state["last"]) - _ts(state["first"])).total_seconds() if state["entries"] > 1 else 0.0
    )
    wrong = sum(1 for k, v in want.items() if state["balances"].get(k) != v)
    return {
        "database": kind,
        "messages_published": published,
        "events_unique": len(events),
        "ledger_entries": state["entries"],
        "ledger_entries_expected": expected_entries,
        "inbox_rows": state["inbox"],
        "accounts_with_wrong_balance": wrong,
        "exact": state["entries"] == expected_entries
        and state["inbox"] == len(events)
        and wrong == 0,
        "apply_seconds_first_to_last_entry": round(span, 3),
        "events_per_s": round(len(events) / span, 1) if span else float("nan"),
        "messages_per_s_incl_duplicates": round(published / span, 1) if span else float("nan"),
        "wall_seconds_from_process_start": round(wall, 2),
        "consumer_cpu_ms_per_event": state["cpu_ms_per_event"],
    }


def measure_raw(events: list[DisputeClosed]) -> dict[str, Any]:
    exchange = private_exchange_name()
    try:
        published = asyncio.run(preload(exchange, "bench", events))
        return asyncio.run(raw_drain(exchange, published))
    finally:
        asyncio.run(delete_exchange(exchange))


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--db", nargs="+", default=["postgresql", "sqlite"])
    p.add_argument("--no-profile", dest="profile", action="store_false")
    args = p.parse_args(argv)
    if args.quick:
        args.events = 1000
    events = make_events(args.events)
    say(f"events: raw aio-pika consume+ack of {args.events:,} (+5% duplicates)")
    raw = measure_raw(events)
    runs = []
    with tempfile.TemporaryDirectory(prefix="fq-bench-events-") as tmp:
        for kind in args.db:
            say(f"events: points consumer on {kind}")
            r = measure_points(kind, events, Path(tmp), prof=False)
            r["ratio_points_over_raw"] = ratio(
                r["messages_per_s_incl_duplicates"], raw["messages_per_s"]
            )
            r["ratio_cpu_per_message_points_over_raw"] = ratio(
                r["consumer_cpu_ms_per_event"] * len(events) / r["messages_published"],
                raw["consumer_cpu_ms_per_message"],
            )
            runs.append(r)
        profile = (
            measure_points(args.db[0], events[: max(300, len(events) // 10)], Path(tmp), True)
            if args.profile
            else None
        )
    data: dict[str, Any] = {
        "events": args.events,
        "duplicate_share": DUPLICATE_SHARE,
        "prefetch": PREFETCH,
        "raw_aio_pika": raw,
        "points_consumer": runs,
    }
    if profile is not None:
        data["profile_points_top"] = profile
    write_result("events", data)
    return 0 if all(r["exact"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
