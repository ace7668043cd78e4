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
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, free_port, loadavg, parser, say, write_result

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
    try:
        data: dict[str, Any] = json.loads((var_dir / "demo-county.json").read_text())
    except (OSError, ValueError):
        return {}
    return data


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


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0, help="1 = Guyuan's shape")
    p.add_argument("--within", type=float, default=1200, help="give up after this many seconds")
    args = p.parse_args()
    scale = 0.05 if args.quick else args.scale
    var_dir = Path(tempfile.mkdtemp(prefix="fq-demo-bench-"))
    env, portal_port = stack_env(var_dir)
    log = (var_dir / "run.log").open("w+")
    before = loadavg()
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
        while time.monotonic() - started < args.within and set(marker(var_dir)) != PARTS:
            if proc.poll() is not None:
                raise SystemExit((var_dir / "run.log").read_text()[-3000:])
            time.sleep(1)
        seeded = time.monotonic() - started
        done = marker(var_dir)
        found: dict[str, Any] = {}
        if set(done) == PARTS:
            say(f"seeded in {seeded:.0f} s after start; probing the portal")
            found = probe(f"http://127.0.0.1:{portal_port}")
        else:  # the parts done by then are still a figure (the machine may be loaded)
            say(f"not seeded within {args.within:.0f} s: {sorted(done)} done")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        from tests.helpers import delete_exchange_sync

        delete_exchange_sync(env["FQ_EXCHANGE"])
    write_result(
        "demo_seeding",
        {
            "scale": scale,
            "seeded": set(done) == PARTS,
            "seconds_from_start_to_seeded": round(seeded, 1),
            "parts_seconds": {name: part.get("seconds") for name, part in done.items()},
            "disputes_started": done.get("disputes", {}).get("started"),
            "refusals": sum(len(part.get("failures", [])) for part in done.values()),
            "loadavg_before": before,
            "loadavg_after_seeding": loadavg(),
            "found": found,
        },
    )


if __name__ == "__main__":
    main()
