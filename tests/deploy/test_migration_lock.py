"""Migrations run once per deploy: processes of one service that start together (the disputes
API and its worker) take turns, and whoever comes second finds the schema at head."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from shared import migrate
from shared.db import sync_url
from tests.helpers import eventually_sync


def current_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head(service: str, url: str) -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config(service, url)).get_current_head()


def libpq(url: str) -> str:
    return sync_url(url).replace("postgresql+psycopg://", "postgresql://")


def waiting_advisory_locks(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
    return int(row[0]) if row else 0


def test_an_upgrade_waits_while_another_process_migrates(pg_url: Callable[[], str]) -> None:
    url = pg_url()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate.upgrade("disputes", url)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    with psycopg.connect(libpq(url), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (migrate.lock_key("disputes"),))
        second = threading.Thread(target=run)
        second.start()
        eventually_sync(lambda: waiting_advisory_locks(url) == 1, message="upgrade never waited")
        engine = create_engine(sync_url(url))
        with engine.connect() as conn:
            assert "alembic_version" not in inspect(conn).get_table_names()
        engine.dispose()
        holder.execute("SELECT pg_advisory_unlock(%s)", (migrate.lock_key("disputes"),))
        second.join(timeout=120)
    assert not second.is_alive()
    assert errors == []
    assert current_revision(url) == head("disputes", url)


@pytest.mark.parametrize("service", ["disputes", "points"])
def test_two_processes_starting_together_migrate_once(service: str, db_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate.upgrade(service, db_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert current_revision(db_url) == head(service, db_url)


def test_each_service_has_its_own_lock() -> None:
    keys = {migrate.lock_key(s) for s in ("portal", "disputes", "appointments", "points")}
    assert len(keys) == 4
    assert all(-(2**63) <= k < 2**63 for k in keys)
