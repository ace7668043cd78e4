"""A migrated disputes database holding the demo directory, as most dispute tests need it.

Migrating and seeding the directory (3,910 rows and their outbox events) costs about 0.8 s of
CPU; over a hundred tests ask for it. On SQLite the first request of a test process builds the
database once, by the real migrations and the real seeder, and every later request gets a copy
of that file: the same schema, rows and unpublished outbox events as if built again. PostgreSQL
databases are built each time.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from services.disputes.seed import seed_directory
from shared import migrate
from shared.db import is_sqlite, make_engine, make_session_factory

_template: Path | None = None  # one per test process (tests of a process run one at a time)


async def _build(url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, "disputes", url)
    engine = make_engine(url)
    try:
        await seed_directory(make_session_factory(engine))
    finally:
        await engine.dispose()


async def _template_file() -> Path:
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="fq-disputes-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "disputes.db"
        await _build(f"sqlite+aiosqlite:///{path}")
        _template = path
    return _template


def _copy(template: Path, target: Path) -> bool:
    """Copy the template to a new file; False when the test's file already exists."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return True


async def seeded_disputes_db(url: str) -> None:
    """Make the database at `url` migrated and seeded with the demo directory."""
    if not is_sqlite(url):
        await _build(url)
        return
    target = make_url(url).database
    assert target and target != ":memory:", url
    if not await asyncio.to_thread(_copy, await _template_file(), Path(target)):
        await _build(url)  # a file the test made itself: built in place
