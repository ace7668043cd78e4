"""`make run`: the embedded Fengqiao stack on one machine, under one supervisor (honcho).

Temporal dev server (SQLite file under var/, search attributes registered), migrations and
demo data for every service, then every process with its log lines prefixed; once they
answer, the demo county's activity (deploy/demo_county.py, once: a marker under var/; its size
`--scale`). Ctrl-C stops everything this started.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from honcho.manager import Manager
from honcho.printer import Printer

from deploy import rabbitmq
from shared.config import (
    REPO_ROOT,
    AppointmentsSettings,
    DisputesSettings,
    NotificationsSettings,
    PointsSettings,
    PortalSettings,
    SinkSettings,
    StackSettings,
)
from shared.temporal import dev_server_args

PY = sys.executable
BIN = Path(PY).parent


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_rabbitmq(stack: StackSettings) -> bool:
    """True if this run started the local broker (and so stops it at the end)."""
    url = urlparse(stack.amqp_url)
    host, port = url.hostname or "127.0.0.1", url.port or 5672
    if port_open(host, port):
        return False
    server = shutil.which("rabbitmq-server") or (
        "/usr/sbin/rabbitmq-server" if Path("/usr/sbin/rabbitmq-server").exists() else None
    )
    if not stack.start_rabbitmq or server is None or host not in ("127.0.0.1", "localhost"):
        say(
            f"RabbitMQ is not reachable at {host}:{port} and no local rabbitmq-server is"
            " installed.\nInstall it with:  sudo apt-get install -y rabbitmq-server"
            "   (then run make run again)\n"
            "or run the whole stack in containers with:  docker compose up"
        )
        raise SystemExit(1)
    say(f"RabbitMQ is down: starting the local server ({server} -detached)")
    subprocess.run([server, "-detached"], check=False)
    for _ in range(90):
        if port_open(host, port):
            return True
        time.sleep(1)
    say("RabbitMQ did not come up within 90 s; see /var/log/rabbitmq/")
    raise SystemExit(1)


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def processes(stack: StackSettings) -> dict[str, str]:
    var = stack.var_dir
    sa = " ".join(dev_server_args())
    procs = {
        "temporal": (
            f"{BIN / 'temporal'} server start-dev --ip 127.0.0.1 --port {stack.temporal_port}"
            f" --ui-port {stack.temporal_ui_port} --http-port {stack.temporal_http_port}"
            f" --metrics-port {stack.temporal_metrics_port}"
            # the UI shows decrypted payloads through the portal (chief or admin login)
            f" --ui-codec-endpoint http://127.0.0.1:{PortalSettings().port}/codec"
            f" --db-filename {var / 'temporal.db'} --log-level warn {sa}"
            # a write-ahead log instead of a rollback journal rewritten (and synced) per
            # commit: the server's every history write (the demo county's seeding: some 30,000)
            f" --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal"
        ),
    }
    candidates = {
        "disputes": "services.disputes",
        "disputes-worker": "workflows.disputes.worker",
        "appointments": "services.appointments",
        "home-visits-worker": "workflows.home_visits.worker",
        "points": "services.points",
        "notifications": "services.notifications",
        "sink": "services.notifications.sink",
        "portal": "services.portal",
    }
    for name, module in candidates.items():
        if has_module(module):
            procs[name] = f"{PY} -m {module}"
    return procs


def child_env(stack: StackSettings) -> dict[str, str]:
    env = dict(os.environ)
    env["FQ_VAR_DIR"] = str(stack.var_dir)
    env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{stack.temporal_port}"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("AMQP_URL", stack.amqp_url)
    env.setdefault("FQ_PORTAL_TEMPORAL_UI_ORIGIN", f"http://127.0.0.1:{stack.temporal_ui_port}")
    # one machine, two cores: the disputes worker takes a few tasks at a time and the rest wait
    # at the server (a burst such as the demo county's seeding would otherwise slow every task
    # past its 10 s timeout, and the retries would add to the burst)
    env.setdefault("FQ_DISPUTES_WORKER_MAX_WORKFLOW_TASKS", "8")
    env.setdefault("FQ_DISPUTES_WORKER_MAX_ACTIVITIES", "16")
    # the portal and the home-visits worker reach the services wherever they listen
    for variable, cls in (
        ("FQ_PORTAL_DISPUTES_URL", DisputesSettings),
        ("FQ_PORTAL_APPOINTMENTS_URL", AppointmentsSettings),
        ("FQ_PORTAL_POINTS_URL", PointsSettings),
        ("FQ_PORTAL_NOTIFICATIONS_URL", NotificationsSettings),
        ("FQ_APPOINTMENTS_SERVICE_URL", AppointmentsSettings),
    ):
        env.setdefault(variable, f"http://127.0.0.1:{cls().port}")
    # the demo's channels go to the local sink, wherever it listens
    sink = SinkSettings()
    env.setdefault("FQ_NOTIFICATIONS_SMS_URL", f"json://127.0.0.1:{sink.port}/sms?:to={{to}}")
    env.setdefault("FQ_NOTIFICATIONS_BOT_URL", f"json://127.0.0.1:{sink.port}/bot?:group={{to}}")
    env.setdefault(
        "FQ_NOTIFICATIONS_SMTP_URL",
        f"mailto://127.0.0.1:{sink.smtp_port}?from=noreply@fengqiao.local&to={{to}}&mode=insecure",
    )
    return env


def rabbitmqctl_path() -> str:
    return shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"


def broker_identities(stack: StackSettings) -> dict[str, str] | None:
    """Each service's own broker user on the local broker (deploy/rabbitmq), when this run
    administers it: returns the AMQP URL per process, or None (every process then shares
    AMQP_URL's user, and the bus can only check that a message carries that user)."""
    amqp = urlparse(stack.amqp_url)
    ctl = rabbitmqctl_path()
    local = amqp.hostname in ("127.0.0.1", "localhost")
    if not stack.own_broker_users or not local or not Path(ctl).exists() or os.geteuid() != 0:
        return None
    store = stack.var_dir / "broker-passwords.json"
    passwords: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    if set(passwords) != set(rabbitmq.BUS_SERVICES):
        passwords = {s: secrets.token_urlsafe(18) for s in rabbitmq.BUS_SERVICES}
        store.write_text(json.dumps(passwords))
        store.chmod(0o600)
    try:
        rabbitmq.ensure_users_with_rabbitmqctl(passwords, stack.exchange, rabbitmqctl=ctl)
    except (subprocess.CalledProcessError, OSError) as exc:
        say(f"could not create the services' broker users ({exc}); all share {amqp.username}")
        return None
    say(
        "RabbitMQ: each service logs in as its own user ("
        + ", ".join(rabbitmq.bus_users(stack.exchange).values())
        + ")"
    )
    host = f"{amqp.hostname}:{amqp.port or 5672}"
    return {
        process: f"amqp://{rabbitmq.user_of(service, stack.exchange)}:"
        f"{passwords[service]}@{host}{amqp.path or '/'}"
        for process, service in rabbitmq.PROCESS_SERVICE.items()
    }


def prepare_databases(env: dict[str, str], seed: bool) -> None:
    """Migrations, then demo data, per service (each seeder shows its own progress bar)."""
    for service in ("portal", "disputes", "appointments", "points", "notifications"):
        if not has_module(f"services.{service}.models"):
            continue
        subprocess.run([PY, "-m", "shared.migrate", "upgrade", service], env=env, check=True)
        if seed and has_module(f"services.{service}.seed"):
            say(f"seeding demo data: {service}")
            subprocess.run([PY, "-m", f"services.{service}.seed"], env=env, check=True)


def health_urls() -> dict[str, str]:
    urls = {}
    for name, cls in (
        ("portal", PortalSettings),
        ("disputes", DisputesSettings),
        ("appointments", AppointmentsSettings),
        ("points", PointsSettings),
        ("notifications", NotificationsSettings),
        ("sink", SinkSettings),
    ):
        s = cls()
        urls[name] = f"http://{s.host}:{s.port}"
    return urls


def wait_and_announce(stack: StackSettings, names: list[str], stop: threading.Event) -> None:
    urls = {k: v for k, v in health_urls().items() if k in names}
    deadline = time.monotonic() + 180
    pending = set(urls)
    while pending and time.monotonic() < deadline and not stop.is_set():
        for name in list(pending):
            try:
                with urllib.request.urlopen(f"{urls[name]}/healthz", timeout=2) as r:
                    if r.status == 200:
                        pending.discard(name)
            except Exception:  # not up yet
                pass
        time.sleep(1)
    if stop.is_set():
        return
    amqp = urlparse(stack.amqp_url)
    lines = [
        "",
        "=" * 64,
        "Fengqiao is running"
        + (f" (still starting: {', '.join(sorted(pending))})" if pending else ""),
        f"  Portal            {urls.get('portal', '-')}",
        f"  Temporal Web UI   http://127.0.0.1:{stack.temporal_ui_port}",
        f"  Temporal gRPC     127.0.0.1:{stack.temporal_port}",
        f"  RabbitMQ          amqp://{amqp.hostname}:{amqp.port or 5672}"
        f"  (exchange {stack.exchange})",
    ]
    for name in ("disputes", "appointments", "points", "notifications"):
        if name in urls:
            lines.append(f"  {name:<17} {urls[name]}/docs (internal API)")
    if "sink" in urls:
        lines.append(f"  Message sink      {urls['sink']}  (SMS, bots, e-mail of the demo)")
    lines += ["  Demo accounts     deploy/demo/accounts.json", "Ctrl-C stops everything.", "=" * 64]
    say("\n".join(lines))


def seed_county(
    env: dict[str, str], scale: float, stop: threading.Event, running: list[subprocess.Popen[bytes]]
) -> None:
    """The demo county, through the running services (it waits for them itself)."""
    if stop.is_set():
        return
    say(f"seeding the demo county (scale {scale:g}); the portal answers meanwhile")
    proc = subprocess.Popen(
        [PY, "-m", "deploy.demo_county", "--scale", str(scale)], env=env, cwd=str(REPO_ROOT)
    )
    running.append(proc)
    code = proc.wait()
    if code != 0 and not stop.is_set():
        say(f"the demo county was not seeded (exit {code}); see the lines above")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the embedded Fengqiao stack")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size of the demo county's activity (1 = Guyuan's shape)",
    )
    args = parser.parse_args(argv)
    stack = StackSettings()
    stack.var_dir.mkdir(parents=True, exist_ok=True)
    started_rabbitmq = ensure_rabbitmq(stack)
    env = child_env(stack)
    os.environ.update({k: env[k] for k in ("FQ_VAR_DIR", "TEMPORAL_ADDRESS")})
    prepare_databases(env, stack.seed_demo)
    procs = processes(stack)
    identities = broker_identities(stack)
    if identities is not None:
        env["FQ_BUS_USERS"] = json.dumps(rabbitmq.bus_users(stack.exchange))
    manager = Manager(Printer(sys.stdout))
    for name, cmd in procs.items():
        own = {"AMQP_URL": identities[name]} if identities and name in identities else {}
        manager.add_process(name, cmd, env={**env, **own}, cwd=str(REPO_ROOT))
    stop = threading.Event()
    announcer = threading.Thread(
        target=wait_and_announce, args=(stack, list(procs), stop), daemon=True
    )
    announcer.start()
    seeding: list[subprocess.Popen[bytes]] = []
    if stack.seed_demo:
        threading.Thread(
            target=seed_county,
            args=(env, args.scale, stop, seeding),
            daemon=True,
            name="demo-county",
        ).start()
    signal.signal(signal.SIGTERM, lambda *_: manager.terminate())
    try:
        manager.loop()
    finally:
        stop.set()
        if identities is not None:
            rabbitmq.delete_users_with_rabbitmqctl(stack.exchange, rabbitmqctl=rabbitmqctl_path())
        for proc in seeding:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        if started_rabbitmq and shutil.which("rabbitmqctl"):
            say("stopping the RabbitMQ server this run started")
            subprocess.run(["rabbitmqctl", "shutdown"], check=False, capture_output=True)
    sys.exit(manager.returncode or 0)


if __name__ == "__main__":
    main()
