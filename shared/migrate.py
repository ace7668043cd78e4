"""Alembic, driven from code: every service applies its own migrations at start.

A service's `migrations/env.py` is two lines: it calls `run_env(<its metadata>)`.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

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
        from sqlalchemy.engine import make_url

        db = make_url(url).database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)


def upgrade(service: str, url: str, revision: str = "head") -> None:
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
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
