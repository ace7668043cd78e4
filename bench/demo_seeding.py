"""`python -m bench.demo_seeding [--scale S]`: how long `make run` takes to seed the demo
county (issue 16: Guyuan's shape within ~2 minutes on 2 cores).

Starts `deploy.run --scale S` on free ports with a private var dir and exchange, waits until
every part of the county is marked done, then asks the running portal what the demo roles
find (the chief's stuck board, the admin's inbox) and stops the stack. The machine's load
before and after is in the result (the box is shared: figures are not from an idle machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench._measure import REPETITIONS, headline, machine_busy_seconds, repeat, spreads, tree
from bench.common import REPO, free_port, loadavg, parser, say, write_result
from deploy.demo_county import marker_path, read_marker

ACCOUNTS = {a["role"]: a for a in json.loads((REPO / "deploy/demo/accounts.json").read_text())}
PARTS = {"disputes", "desk", "points"}
SERVICES = ("portal", "disputes", "appointments", "points", "notifications", "sink")


def stack_env(var_dir: Path) -> tuple[dict[str, str], int]:
    env = dict(os.environ)
    ports = {name: free_port() for name in SERVICES}
    env.update(
        FQ_VAR_DIR=str(var_dir),
        FQ_EXCHANGE=f"fq-bench-demo-{os.getpid()}",
        FQ_STACK_TEMPORAL_PORT=str(free_port()),
        FQ_STACK_TEMPORAL_UI_PORT=str(free_port()),
        FQ_STACK_TEMPORAL_HTTP_PORT=str(free_port()),
        FQ_STACK_TEMPORAL_METRICS_PORT=str(free_port()),
        FQ_SINK_SMTP_PORT=str(free_port()),
        FQ_LOG_LEVEL="WARNING",
    )
    env.update({f"FQ_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    return env, ports["portal"]


def marker(var_dir: Path) -> dict[str, Any]:
    return read_marker(marker_path(var_dir))


def api(base: str, role: str) -> httpx.Client:
    account = ACCOUNTS[role]
    r = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": account["username"], "password": account["password"]},
        timeout=60,
    )
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return httpx.Client(base_url=base, headers=headers, timeout=60)


def probe(base: str) -> dict[str, Any]:
    """What the chief's board and the admin's inbox hold once seeded (after a short wait: the
    stuck steps raise their flag after three failed attempts)."""
    time.sleep(20)
    board = api(base, "station_chief").get("/api/v1/supervision/stuck").json()
    technical = [r for r in board["items"] if r["kind"] == "technical"]
    inbox = api(base, "admin").get("/api/v1/notifications/inbox").json()
    visits = api(base, "station_chief").get("/api/v1/supervision/home-visits").json()
    return {
        "chief_board_rows": len(board["items"]),
        "chief_board_technical": [r.get("reason", "")[:120] for r in technical],
        "chief_visits_technical": [
            v["visit_id"] for v in visits["items"] if v["kind"] == "technical"
        ],
        "admin_inbox_messages": len(inbox["items"]),
    }


def _name(pid: int) -> str:
    """`services.disputes`, `temporal`, `deploy.demo_county` ... of one process of the stack."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return "?"
    if "-m" in argv:
        return argv[argv.index("-m") + 1]
    return Path(argv[0]).name if argv and argv[0] else "?"


def _ticks(pid: int) -> tuple[float, float]:
    """(own CPU seconds, CPU seconds of its ended and reaped children) of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def stack_cpu(pid: int) -> dict[str, float]:
    """CPU seconds each process of the stack (`deploy.run` and its descendants) has used so
    far: the figure that does not depend on how loaded the shared machine is. Processes that
    ended (migrations, demo data, the seeder once done) count in "ended children"."""
    out: dict[str, float] = {}
    for p in tree(pid):
        own, ended = _ticks(p)
        name = _name(p)
        out[name] = out.get(name, 0.0) + own
        if p == pid:
            out["ended children"] = ended
    return dict(
        sorted(((k, round(v, 1)) for k, v in out.items() if v >= 0.1), key=lambda kv: -kv[1])
    )


def seed_once(scale: float, within: float) -> dict[str, Any]:
    """One `deploy.run --scale` from an empty var dir until the county is seeded."""
    var_dir = Path(tempfile.mkdtemp(prefix="fq-demo-bench-"))
    env, portal_port = stack_env(var_dir)
    log = (var_dir / "run.log").open("w+")
    before = loadavg()
    busy0 = machine_busy_seconds()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.run", "--scale", str(scale)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        while time.monotonic() - started < within and set(marker(var_dir)) != PARTS:
            if proc.poll() is not None:
                raise SystemExit((var_dir / "run.log").read_text()[-3000:])
            time.sleep(1)
        cpu = stack_cpu(proc.pid)
        seeded = time.monotonic() - started
        machine_busy = machine_busy_seconds() - busy0
        done = marker(var_dir)
        found: dict[str, Any] = {}
        if set(done) == PARTS:
            say(f"seeded in {seeded:.0f} s after start; probing the portal")
            found = probe(f"http://127.0.0.1:{portal_port}")
        else:  # the parts done by then are still a figure (the machine may be loaded)
            say(f"not seeded within {within:.0f} s: {sorted(done)} done")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the stack stopped on its own (its log says why)
        log.close()
        from tests.helpers import delete_exchange_sync

        delete_exchange_sync(env["FQ_EXCHANGE"])
    shutil.rmtree(var_dir, ignore_errors=True)
    parts = {name: part.get("seconds") for name, part in done.items()}
    return {
        "seeded": set(done) == PARTS,
        "seconds_from_start_to_seeded": round(seeded, 1),
        # the parts run side by side from when the services answer: the longest is the seeding
        "seeding_seconds": max((v for v in parts.values() if v is not None), default=None),
        "parts_seconds": parts,
        "disputes_started": done.get("disputes", {}).get("started"),
        "refusals": sum(len(part.get("failures", [])) for part in done.values()),
        # CPU the stack used from its start to seeded (migrations and demo data included)
        "stack_cpu_seconds": round(sum(cpu.values()), 1),
        "stack_cpu_seconds_by_process": cpu,
        "stack_cores_used": round(sum(cpu.values()) / seeded, 2),
        "machine_cores_busy": round(machine_busy / seeded, 2),
        "loadavg_before": before,
        "loadavg_after_seeding": loadavg(),
        "found": found,
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0, help="1 = Guyuan's shape")
    p.add_argument("--within", type=float, default=1200, help="give up after this many seconds")
    p.add_argument("--repeat", type=int, default=REPETITIONS, help="seedings, one after another")
    args = p.parse_args()
    # a stop by `kill` still stops the stack and deletes its exchange (the `finally` below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scale = 0.05 if args.quick else args.scale
    runs = repeat(1 if args.quick else args.repeat, lambda _: seed_once(scale, args.within))
    seeded = all(r["seeded"] for r in runs)
    paths = ["seeding_seconds", "seconds_from_start_to_seeded", "stack_cpu_seconds"]
    figures = spreads(runs, paths)
    secs = figures["seeding_seconds"]
    write_result(
        "demo_seeding",
        {
            "scale": scale,
            "seeded": seeded,
            **figures,
            "runs": runs,
            "headline": [
                headline(
                    order=45,
                    path=f"demo county seeding, scale {scale:g} (make run, 2 cores, shared box)",
                    fengqiao=f"{secs['median']:.0f} s ({secs['min']:.0f}–{secs['max']:.0f}),"
                    f" stack CPU {figures['stack_cpu_seconds']['median']:.0f} s,"
                    f" load {runs[0]['loadavg_before'][0]:.0f}",
                    baseline="—",
                    ratio=None,
                    goal="≤ ~120 s on 2 cores (scale 1)",
                    met=seeded and secs["median"] <= 130,
                )
            ],
        },
    )


if __name__ == "__main__":
    main()
