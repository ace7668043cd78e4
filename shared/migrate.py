"""Alembic, driven from code: every service applies its own migrations at start.

A service's `migrations/env.py` is two lines: it calls `run_env(<its metadata>)`.

Several processes of one service start at once (the disputes API and its worker, two replicas
behind a balancer); `upgrade` runs the migrations once per deploy whoever comes first: it holds
a lock for the service's database while it upgrades (a PostgreSQL advisory lock; for SQLite a
lock file beside the database), and whoever waited finds the schema at head and does nothing.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool, text
from sqlalchemy.engine import make_url

from shared.db import is_sqlite, sync_url

REPO_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(service: str, url: str) -> Config:
    location = REPO_ROOT / "services" / service / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def ensure_sqlite_dir(url: str) -> None:
    if is_sqlite(url):
        db = make_url(url).database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)


def lock_key(service: str) -> int:
    """The advisory-lock key of a service's migrations: a signed 64-bit number, stable across
    processes and releases (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(f"fengqiao.migrate.{service}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def migration_lock(service: str, url: str) -> Iterator[None]:
    """Held while one process migrates a service's database; the others wait for it."""
    if is_sqlite(url):
        db = make_url(url).database
        if not db or db == ":memory:":
            yield
            return
        with open(f"{db}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(service)})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(service)})
                conn.commit()
    finally:
        engine.dispose()


def upgrade(service: str, url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(url)
    with migration_lock(service, url):
        command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    with migration_lock(service, url):
        command.downgrade(alembic_config(service, url), revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's alembic env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=is_sqlite(url),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def main() -> None:
    """`python -m shared.migrate revision points -m "initial"` autogenerates a revision."""
    parser = argparse.ArgumentParser(prog="python -m shared.migrate")
    parser.add_argument("action", choices=["upgrade", "revision"])
    parser.add_argument("service")
    parser.add_argument("-m", "--message", default="change")
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    from shared.config import ALL_SETTINGS

    url = args.url or ALL_SETTINGS[args.service]().database_url
    if args.action == "upgrade":
        upgrade(args.service, url)
        return
    importlib.import_module(f"services.{args.service}.models")
    ensure_sqlite_dir(url)
    cfg = alembic_config(args.service, url)
    command.upgrade(cfg, "head")
    command.revision(cfg, message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
