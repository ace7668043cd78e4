"""The broker's users: one per Fengqiao service, each allowed only on Fengqiao's exchange and
queues, so the AMQP `user_id` on an event says which service sent it (shared/messaging/identity).

- `python -m deploy.rabbitmq definitions` prints a RabbitMQ definitions file (users with
  salted SHA-256 password hashes, the vhost, permissions) from FQ_BUS_PASSWORD_<SERVICE>
  variables; compose writes it to a volume the broker loads at boot (`load_definitions`).
- `ensure_users_with_rabbitmqctl(...)` creates or updates the same users on a local broker
  (what `make run` does when it administers the broker), `delete_users_with_rabbitmqctl`
  removes them when the run ends.
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


DEFAULT_EXCHANGE = "fengqiao.events"
# the processes of `make run` and compose, and the broker user each logs in as
PROCESS_SERVICE = {
    "portal": "portal",
    "disputes": "disputes",
    "disputes-worker": "disputes",
    "appointments": "appointments",
    "home-visits-worker": "appointments",
    "points": "points",
    "notifications": "notifications",
    "sink": "notifications",
}


def user_of(service: str, exchange: str = DEFAULT_EXCHANGE) -> str:
    """`fq-points`; a stack on an exchange of its own (a test's) gets users of its own."""
    return f"fq-{service}" if exchange == DEFAULT_EXCHANGE else f"{exchange}-{service}"


def bus_users(exchange: str = DEFAULT_EXCHANGE) -> dict[str, str]:
    """The FQ_BUS_USERS mapping that goes with these users."""
    return {service: user_of(service, exchange) for service in BUS_SERVICES}


def permissions(exchange: str) -> tuple[str, str, str]:
    """configure, write, read: the exchange, its queues (`X.svc`, `.retry`, `.dead`), its dlx,
    and the default exchange (a consumer's retry goes through it)."""
    ours = f"^{re.escape(exchange)}(\\..*)?$"
    return ours, f"{ours}|^amq\\.default$", ours


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(passwords: Mapping[str, str], exchange: str = DEFAULT_EXCHANGE) -> dict[str, Any]:
    """The definitions of each service's user (`passwords` by service)."""
    return users_definitions({user_of(s, exchange): passwords[s] for s in BUS_SERVICES}, exchange)


def users_definitions(users: Mapping[str, str], exchange: str) -> dict[str, Any]:
    """Users (name: password) allowed on `exchange`'s names only, as RabbitMQ definitions."""
    configure, write, read = permissions(exchange)
    return {
        "users": [
            {
                "name": name,
                "password_hash": password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
            for name, password in users.items()
        ],
        "vhosts": [{"name": "/"}],
        "permissions": [
            {"user": name, "vhost": "/", "configure": configure, "write": write, "read": read}
            for name in users
        ],
    }


def passwords_from_env(env: Mapping[str, str]) -> dict[str, str]:
    missing = [s for s in BUS_SERVICES if not env.get(f"FQ_BUS_PASSWORD_{s.upper()}")]
    if missing:
        names = ", ".join(f"FQ_BUS_PASSWORD_{s.upper()}" for s in missing)
        raise SystemExit(f"missing broker passwords: {names} (see .env.example)")
    return {s: env[f"FQ_BUS_PASSWORD_{s.upper()}"] for s in BUS_SERVICES}


def import_users(users: Mapping[str, str], exchange: str, *, rabbitmqctl: str) -> None:
    """Create or update the users on the local broker in one rabbitmqctl call (each call
    starts an Erlang VM: seconds). The import completes asynchronously, within moments."""
    subprocess.run(
        [rabbitmqctl, "import_definitions", "--format", "json"],
        input=json.dumps(users_definitions(users, exchange)),
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def delete_users(names: list[str], *, rabbitmqctl: str) -> None:
    """Delete the users (those that exist) in one rabbitmqctl call."""
    quoted = ", ".join('<<"' + name.replace('"', "") + '">>' for name in names)
    expr = (
        f'[catch rabbit_auth_backend_internal:delete_user(U, <<"fengqiao">>)'
        f" || U <- [{quoted}]], ok."
    )
    subprocess.run([rabbitmqctl, "eval", expr], check=True, capture_output=True, timeout=120)


def ensure_users_with_rabbitmqctl(
    passwords: Mapping[str, str], exchange: str, *, rabbitmqctl: str = "rabbitmqctl"
) -> None:
    """Each service's user on the local broker (what `make run` does when it administers it)."""
    users = {user_of(s, exchange): passwords[s] for s in BUS_SERVICES}
    import_users(users, exchange, rabbitmqctl=rabbitmqctl)


def delete_users_with_rabbitmqctl(exchange: str, *, rabbitmqctl: str = "rabbitmqctl") -> None:
    delete_users([user_of(s, exchange) for s in BUS_SERVICES], rabbitmqctl=rabbitmqctl)


def main() -> None:
    args = sys.argv[1:]
    if args[:1] != ["definitions"] or len(args) not in (1, 3) or args[1:2] not in ([], ["--out"]):
        raise SystemExit("usage: python -m deploy.rabbitmq definitions [--out FILE]")
    exchange = os.environ.get("FQ_EXCHANGE", DEFAULT_EXCHANGE)
    text = json.dumps(definitions(passwords_from_env(os.environ), exchange), indent=2) + "\n"
    if len(args) == 3:
        with open(args[2], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
