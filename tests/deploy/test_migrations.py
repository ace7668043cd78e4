"""Every service's migrations run up and down on SQLite and on PostgreSQL, and leave the
schema exactly as the models describe it."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shared import migrate
from shared.db import sync_url

SERVICES = ["portal", "disputes", "appointments", "points", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_upgrade_match_models_and_downgrade(service: str, db_url: str) -> None:
    migrate.upgrade(service, db_url)
    models = importlib.import_module(f"services.{service}.models")
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == [], f"{service}: models and migrations differ: {diff}"
    assert tables == set(models.Base.metadata.tables) | {"alembic_version"}
    migrate.upgrade(service, db_url)  # idempotent at head
    migrate.downgrade(service, db_url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()
