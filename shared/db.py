"""Database plumbing shared by every service: engines, sessions, naming conventions.

Each service owns its own database (SQLite file by default, PostgreSQL in production and
in the test suite) and its own metadata; nothing here knows about any service's tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class ServiceBase(DeclarativeBase):
    """Abstract root; each service subclasses it once with its own metadata."""

    __abstract__ = True


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def async_url(url: str) -> str:
    """Normalise a URL to the async driver this project uses for its backend."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite+aiosqlite"))
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (alembic, seeding scripts)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite"))
    if u.get_backend_name() == "postgresql":
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Serialise writers with BEGIN IMMEDIATE (see begin hook) and wait instead of failing.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        # a database host that does not answer fails a request in seconds, not minutes
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any exception."""
    async with factory() as session, session.begin():
        yield session


async def pipelined(
    session: AsyncSession, statements: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[tuple[Any, ...]]:
    """PostgreSQL only: `statements` (psycopg's `%(name)s` parameters) sent together, one round
    trip for all, in the session's transaction (when they open it, psycopg's BEGIN still goes
    first, on its own); the rows of the last. The server still runs
    them one after the other, each from its own snapshot taken once the one before finished
    (a lock the first takes is held before the second reads anything). Errors come as
    SQLAlchemy's (IntegrityError for a unique index), and fail the transaction as usual."""
    conn = await session.connection()
    raw: psycopg.AsyncConnection[Any] = (await conn.get_raw_connection()).driver_connection  # type: ignore[assignment]
    sql = ""
    params_now: Mapping[str, Any] = {}
    try:
        async with raw.cursor() as last:
            async with raw.pipeline():  # its Sync at the end: the one round trip
                for sql, params_now in statements[:-1]:
                    await raw.execute(sql, params_now)
                sql, params_now = statements[-1]
                await last.execute(sql, params_now)
            return await last.fetchall()
    except psycopg.IntegrityError as exc:
        raise IntegrityError(sql, dict(params_now), exc) from exc
    except psycopg.Error as exc:
        raise DBAPIError(sql, dict(params_now), exc) from exc
