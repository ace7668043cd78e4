"""Benchmark 4: events/s the points and notifications consumers apply, against raw aio-pika
consume+ack.

On a private exchange of the real broker, N `dispute.closed` events (1-2 helpers each from a
pool of residents, 5% of them delivered twice with the same message id) are published into
the consuming service's own queue (declared exactly as its consumer declares it) while the
service is down; then `python -m services.<points|notifications>` starts and drains it
through the real consumer (batches of deliveries in one transaction, shared/messaging/
batch.py): for points the inbox claims, account upserts, idempotent ledger credits, hash
chain and outbox events; for notifications the inbox claims and each helper's inbox
delivery. The rate is taken from the rows' own timestamps (first to last), so start-up is
not counted. The baseline drains the same messages from an identical quorum queue with
aio-pika, prefetch alike, doing nothing but ack. Afterwards every helper holds exactly the
points of its cases, and exactly one inbox notification per case. Three repetitions, each the
raw drain then every consumer, each ratio against its own repetition's raw drain.

`python -m bench.events [--quick] [--events 5000] [--db postgresql sqlite] [--repetitions 3]`
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
from bench._measure import background_cores
from bench.common import (
    AMQP_URL,
    REPETITIONS,
    create_pg_database,
    delete_exchange,
    drop_pg_database,
    free_port,
    headline,
    machine_busy_seconds,
    parser,
    private_exchange_name,
    process_cpu_seconds,
    ratio,
    rss_mib,
    say,
    spread,
    start_process,
    stop_process,
    wait_http,
    write_result,
)
from services.notifications.consumer import PATTERNS as NOTIFICATIONS_PATTERNS
from services.points.consumer import PATTERNS as POINTS_PATTERNS
from services.points.rules import load_rules
from shared import migrate
from shared.config import PointsSettings
from shared.db import make_engine
from shared.messaging.broker import Broker, declare_service_queue
from shared.messaging.contracts.disputes import DisputeClosed

HELPERS = 3000
DUPLICATE_SHARE = 0.05
PREFETCH = PointsSettings().queue_prefetch
PATTERNS = {"points": POINTS_PATTERNS, "notifications": NOTIFICATIONS_PATTERNS, "bench": ["#"]}
# what each consumer writes per effect, and the table its inbox is
EFFECTS = {"points": "entries", "notifications": "deliveries"}


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
            await declare_service_queue(ch, ex, service, PATTERNS[service])
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


async def consumer_state(url: str, service: str) -> dict[str, Any]:
    table = EFFECTS[service]
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            n = int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            first, last = (
                await conn.execute(text(f"SELECT min(created_at), max(created_at) FROM {table}"))
            ).one()
            inbox = int(await conn.scalar(text("SELECT count(*) FROM inbox")) or 0)
            if service == "points":
                q = "SELECT id, balance FROM accounts"
            else:  # one inbox notification per helper and case
                q = "SELECT recipient_id AS id, count(*) AS balance FROM deliveries GROUP BY 1"
            per_person = {r.id: int(r.balance) for r in await conn.execute(text(q))}
    finally:
        await engine.dispose()
    return {"effects": n, "first": first, "last": last, "inbox": inbox, "per_person": per_person}


async def wait_effects(
    url: str, service: str, expected: int, timeout: float, pid: int
) -> dict[str, Any]:
    """Poll until every effect is there; the consumer process's and the machine's CPU per
    applied event are taken between the first poll that sees an applied event and the end."""
    deadline = time.monotonic() + timeout
    engine = make_engine(url)
    first: tuple[float, float, int] | None = None
    last = (0.0, 0.0, 0)
    table = EFFECTS[service]
    try:
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                n = int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                applied = int(await conn.scalar(text("SELECT count(*) FROM inbox")) or 0)
            last = (process_cpu_seconds(pid), machine_busy_seconds(), applied)
            if first is None and applied > 0:
                first = last
            if n >= expected:
                break
            await asyncio.sleep(0.25)
    finally:
        await engine.dispose()
    await asyncio.sleep(1.0)  # let duplicates still in flight land (they must change nothing)
    state = await consumer_state(url, service)
    nan = float("nan")
    if first is not None and last[2] > first[2]:
        k = last[2] - first[2]
        state["cpu_ms_per_event"] = round(1000 * (last[0] - first[0]) / k, 3)
        state["machine_cpu_ms_per_event_raw"] = round(1000 * (last[1] - first[1]) / k, 3)
    else:
        state["cpu_ms_per_event"] = state["machine_cpu_ms_per_event_raw"] = nan
    return state


def _ts(value: datetime | str) -> datetime:
    """Raw SQL on SQLite hands timestamps back as text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def service_env(service: str, url: str, exchange: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    prefix = f"FQ_{service.upper()}_"
    env.update(
        {
            "FQ_VAR_DIR": str(workdir),
            f"{prefix}DATABASE_URL": url,
            f"{prefix}PORT": str(free_port()),
            "FQ_EXCHANGE": exchange,
            "AMQP_URL": AMQP_URL,
            "FQ_LOG_LEVEL": "WARNING",
            "FQ_INTERNAL_TOKEN": "bench-events-token",
            # deliver at once whatever the hour
            "FQ_NOTIFICATIONS_QUIET_START_HOUR": "0",
            "FQ_NOTIFICATIONS_QUIET_END_HOUR": "0",
            "FQ_NOTIFICATIONS_DIGEST_WINDOW_MINUTES": "0",
        }
    )
    return env


def expected_of(service: str, events: list[DisputeClosed]) -> tuple[int, dict[str, int]]:
    """The effects the events must leave: row count and each person's figure."""
    if service == "points":
        per_help = load_rules(PointsSettings().rules_file).mediation_help
        return sum(len(e.helper_ids) for e in events), expected_balances(events, per_help)
    return sum(len(e.helper_ids) for e in events), expected_balances(events, 1)


def measure_consumer(
    service: str, kind: str, events: list[DisputeClosed], workdir: Path, prof: bool
) -> Any:
    exchange = private_exchange_name()
    pg_name: str | None = None
    if kind == "postgresql":
        pg_name, url = create_pg_database(f"fq_bench_{service}")
    else:
        url = f"sqlite+aiosqlite:///{workdir / f'{service}-{uuid.uuid4().hex[:6]}.db'}"
    expected, want = expected_of(service, events)
    env = service_env(service, url, exchange, workdir)
    out = workdir / f"{service}-{kind}.pyspy.txt"
    try:
        migrate.upgrade(service, url)
        published = asyncio.run(preload(exchange, service, events))
        background = background_cores(2.0)
        started = time.perf_counter()
        proc = start_process(
            [sys.executable, "-m", f"services.{service}"], env=env, log=workdir / f"{service}.log"
        )
        try:
            if prof:
                wait_http(
                    f"http://127.0.0.1:{env[f'FQ_{service.upper()}_PORT']}/healthz", proc=proc
                )
                _profile.begin(proc, out)
            state = asyncio.run(wait_effects(url, service, expected, 900, proc.pid))
            wall = time.perf_counter() - started
            rss = rss_mib(proc.pid)
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
        (_ts(state["last"]) - _ts(state["first"])).total_seconds() if state["effects"] > 1 else 0.0
    )
    wrong = sum(1 for k, v in want.items() if state["per_person"].get(k) != v)
    machine_net = state["machine_cpu_ms_per_event_raw"] - 1000 * background * (
        span / max(1, len(events))
    )
    return {
        "database": kind,
        "messages_published": published,
        "events_unique": len(events),
        "effects": state["effects"],
        "effects_expected": expected,
        "inbox_rows": state["inbox"],
        "people_with_wrong_figure": wrong,
        "exact": state["effects"] == expected and state["inbox"] == len(events) and wrong == 0,
        "apply_seconds_first_to_last": round(span, 3),
        "events_per_s": round(len(events) / span, 1) if span else float("nan"),
        "messages_per_s_incl_duplicates": round(published / span, 1) if span else float("nan"),
        "wall_seconds_from_process_start": round(wall, 2),
        "consumer_cpu_ms_per_event": state["cpu_ms_per_event"],
        "machine_cpu_ms_per_event_raw": state["machine_cpu_ms_per_event_raw"],
        "machine_cpu_ms_per_event": round(max(0.0, machine_net), 3),
        "background_cores_before": round(background, 3),
        "rss_mib_after_drain": rss,
    }


def measure_raw(events: list[DisputeClosed]) -> dict[str, Any]:
    exchange = private_exchange_name()
    try:
        published = asyncio.run(preload(exchange, "bench", events))
        m0 = machine_busy_seconds()
        r = asyncio.run(raw_drain(exchange, published))
        r["machine_cpu_ms_per_message_raw"] = round(
            1000 * (machine_busy_seconds() - m0) / max(1, published), 3
        )
        return r
    finally:
        asyncio.run(delete_exchange(exchange))


def headline_row(service: str, kind: str, runs: list[dict[str, Any]], raw: Any) -> Any:
    r = spread([x["ratio_over_raw"] for x in runs])
    rate = spread([x["messages_per_s_incl_duplicates"] for x in runs])
    cpu = spread([x["consumer_cpu_ms_per_event"] for x in runs])
    exact = all(x["exact"] for x in runs)
    return headline(
        path=f"{service} consumer ({kind}, {runs[0]['events_unique']:,} dispute.closed events)",
        fengqiao=f"{rate['median']:,.0f} msg/s, exact: {'yes' if exact else 'NO'}",
        baseline=f"raw aio-pika consume+ack {raw['messages_per_s']['median']:,.0f} msg/s",
        ratio=r,
        goal="≥ 0.25, exactly once",
        met=r["median"] >= 0.25 and exact,
        cpu=f"{cpu['median']:.2f} ms (consumer) vs "
        f"{raw['consumer_cpu_ms_per_message']['median']:.3f} ms (raw)",
        order=20 if service == "points" else 21,
    )


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--db", nargs="+", default=["postgresql", "sqlite"])
    p.add_argument("--services", nargs="+", default=["points", "notifications"])
    p.add_argument("--repetitions", type=int, default=REPETITIONS)
    p.add_argument("--no-profile", dest="profile", action="store_false")
    args = p.parse_args(argv)
    if args.quick:
        args.events = 1000
    events = make_events(args.events)
    raws: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    heads = []
    with tempfile.TemporaryDirectory(prefix="fq-bench-events-") as tmp:
        # repetitions paired (the raw drain, then each consumer): each ratio compares with the
        # broker as it was just then, since the machine's other users drift over minutes
        runs_of: dict[tuple[str, str], list[dict[str, Any]]] = {
            (service, kind): [] for service in args.services for kind in args.db
        }
        for i in range(args.repetitions):
            say(
                f"events: raw aio-pika consume+ack of {args.events:,} (+5% duplicates), run {i + 1}"
            )
            raws.append(measure_raw(events))
            for (service, kind), runs in runs_of.items():
                say(f"events: {service} consumer on {kind}, run {i + 1}")
                r = measure_consumer(service, kind, events, Path(tmp), prof=False)
                r["ratio_over_raw"] = ratio(
                    r["messages_per_s_incl_duplicates"], raws[-1]["messages_per_s"]
                )
                runs.append(r)
        raw = {k: spread([r[k] for r in raws]) for k in raws[0] if k != "messages"}
        for (service, kind), runs in runs_of.items():
            results[f"{service}_{kind}"] = runs
            heads.append(headline_row(service, kind, runs, raw))
        profiles = {}
        if args.profile:
            for service in args.services:
                some = events[: max(300, len(events) // 10)]
                profiles[service] = measure_consumer(service, args.db[0], some, Path(tmp), True)
    data: dict[str, Any] = {
        "events": args.events,
        "duplicate_share": DUPLICATE_SHARE,
        "prefetch": PREFETCH,
        "repetitions": args.repetitions,
        "headline": heads,
        "raw_aio_pika": raw,
        "raw_aio_pika_runs": raws,
        "consumers": results,
        "profiles": profiles,
    }
    write_result("events", data)
    return 0 if all(r["exact"] for runs in results.values() for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
