"""Another user's GET /api/v1/me while clients log in (issue 14: argon2 on the event loop).

    .venv/bin/python -m bench.login_contention            # hashing in the thread pool (now)
    .venv/bin/python -m bench.login_contention --on-loop  # hashing on the loop (before)

The portal app runs in-process on a temporary SQLite database (no broker: the outbox only
fills); `--logins` clients log in correctly in a loop while one client times /me.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import say
from services.portal import login as login_module
from services.portal import passwords
from services.portal.api import create_app
from services.portal.seed import demo_specs, seed_accounts
from services.portal.web import ServiceClients
from shared.auth import verify_password
from shared.config import PortalSettings


async def _on_loop(stored_hash: str, password: str) -> bool:
    return verify_password(stored_hash, password)


async def run(logins: int, seconds: float, on_loop: bool) -> dict[str, float]:
    if on_loop:
        login_module.verify_async = _on_loop  # type: ignore[attr-defined]
    tmp = Path(tempfile.mkdtemp(prefix="fq-bench-login-"))
    settings = PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp}/portal.db",
        amqp_url="amqp://guest:guest@127.0.0.1:1/",
        login_rate_limit=1_000_000,
    )
    stub = httpx.AsyncClient(base_url="http://127.0.0.1:1")
    clients = ServiceClients(stub, stub, stub, stub)
    app = create_app(settings, clients=clients)
    async with app.router.lifespan_context(app):
        await seed_accounts(app.state.runtime.factory, demo_specs(), progress=False)
        transport = httpx.ASGITransport(app=app, client=("198.51.100.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://p") as c:
            r = await c.post(
                "/api/v1/auth/token", json={"username": "chief", "password": "Fq-chief-2026"}
            )
            token = r.json()["access_token"]
            stop = time.monotonic() + seconds
            samples: list[float] = []

            async def logger_in(n: int) -> None:
                t = httpx.ASGITransport(app=app, client=(f"198.51.100.{10 + n}", 1))
                async with httpx.AsyncClient(transport=t, base_url="http://p") as lc:
                    while time.monotonic() < stop:
                        await lc.post(
                            "/api/v1/auth/token",
                            json={"username": "officer", "password": "Fq-officer-2026"},
                        )

            async def watcher() -> None:
                headers = {"Authorization": f"Bearer {token}"}
                while time.monotonic() < stop:
                    t0 = time.perf_counter()
                    await c.get("/api/v1/me", headers=headers)
                    samples.append((time.perf_counter() - t0) * 1000)
                    await asyncio.sleep(0.01)

            await asyncio.gather(watcher(), *(logger_in(n) for n in range(logins)))
    await stub.aclose()
    return {
        "me_requests": len(samples),
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(statistics.quantiles(samples, n=20)[-1], 1),
        "max_ms": round(max(samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--on-loop", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args.logins, args.seconds, args.on_loop))
    mode = "on the event loop" if args.on_loop else f"in a pool of {passwords._POOL._max_workers}"
    say(json.dumps({"argon2": mode, "logins": args.logins, **figures}))


if __name__ == "__main__":
    main()
