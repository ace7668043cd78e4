"""The broker's users: one per Fengqiao service, each allowed only on Fengqiao's exchange and
queues, so the AMQP `user_id` on an event says which service sent it (shared/messaging/identity).

- `python -m deploy.rabbitmq definitions` prints a RabbitMQ definitions file (users with
  salted SHA-256 password hashes, the vhost, permissions) from FQ_BUS_PASSWORD_<SERVICE>
  variables; compose writes it to a volume the broker loads at boot (`load_definitions`).
- `ensure_users_with_rabbitmqctl(...)` creates or updates the same users on a local broker
  (what `make run` does when it administers the broker).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

# services that connect to the broker, and the user each logs in as
BUS_SERVICES = ("portal", "disputes", "appointments", "points", "notifications")


def user_of(service: str) -> str:
    return f"fq-{service}"


def bus_users() -> dict[str, str]:
    """The FQ_BUS_USERS mapping that goes with these users."""
    return {service: user_of(service) for service in BUS_SERVICES}


def permissions(exchange: str) -> tuple[str, str, str]:
    """configure, write, read: the exchange, its queues (`X.svc`, `.retry`, `.dead`), its dlx,
    and the default exchange (a consumer's retry goes through it)."""
    ours = f"^{re.escape(exchange)}(\\..*)?$"
    return ours, f"{ours}|^amq\\.default$", ours


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(passwords: Mapping[str, str], exchange: str = "fengqiao.events") -> dict[str, Any]:
    configure, write, read = permissions(exchange)
    users = [user_of(s) for s in BUS_SERVICES]
    return {
        "users": [
            {
                "name": user_of(s),
                "password_hash": password_hash(passwords[s]),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
            for s in BUS_SERVICES
        ],
        "vhosts": [{"name": "/"}],
        "permissions": [
            {"user": u, "vhost": "/", "configure": configure, "write": write, "read": read}
            for u in users
        ],
    }


def passwords_from_env(env: Mapping[str, str]) -> dict[str, str]:
    missing = [s for s in BUS_SERVICES if not env.get(f"FQ_BUS_PASSWORD_{s.upper()}")]
    if missing:
        names = ", ".join(f"FQ_BUS_PASSWORD_{s.upper()}" for s in missing)
        raise SystemExit(f"missing broker passwords: {names} (see .env.example)")
    return {s: env[f"FQ_BUS_PASSWORD_{s.upper()}"] for s in BUS_SERVICES}


def ensure_users_with_rabbitmqctl(
    passwords: Mapping[str, str], exchange: str, *, rabbitmqctl: str = "rabbitmqctl"
) -> None:
    """Create (or reset the password of) each service's user on the local broker."""
    configure, write, read = permissions(exchange)
    for service in BUS_SERVICES:
        name, password = user_of(service), passwords[service]
        added = subprocess.run(
            [rabbitmqctl, "add_user", name, password], capture_output=True, text=True
        )
        if added.returncode != 0:
            subprocess.run([rabbitmqctl, "change_password", name, password], check=True)
        subprocess.run(
            [rabbitmqctl, "set_permissions", "-p", "/", name, configure, write, read],
            check=True,
            capture_output=True,
        )


def main() -> None:
    args = sys.argv[1:]
    if args[:1] != ["definitions"] or len(args) not in (1, 3) or args[1:2] not in ([], ["--out"]):
        raise SystemExit("usage: python -m deploy.rabbitmq definitions [--out FILE]")
    exchange = os.environ.get("FQ_EXCHANGE", "fengqiao.events")
    text = json.dumps(definitions(passwords_from_env(os.environ), exchange), indent=2) + "\n"
    if len(args) == 3:
        with open(args[2], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
