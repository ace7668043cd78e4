"""Transactional outbox and idempotent inbox.

Producer side: `add_event(session, event)` writes the event into the service's `outbox` table
inside the caller's transaction, so the change and its event commit (or roll back) together.
`OutboxRelay` publishes unpublished rows in id order with publisher confirms and marks them;
if the broker is down it waits and tries again, so nothing is lost. Several relay processes
may run at once on PostgreSQL (rows are claimed with SKIP LOCKED).

Consumer side: `claim_message(session, consumer, message_id)` records the message id in the
`inbox` table inside the same transaction as the effect; a redelivered message finds its id
already there and the handler does nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bulk import populate, populate_count
from shared.messaging.broker import Broker, OutgoingMessage
from shared.messaging.events import Event

log = logging.getLogger("fengqiao.outbox")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("message_id", String(64), nullable=False, unique=True),
        Column("routing_key", String(128), nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("body", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(64), primary_key=True),
        Column("message_id", String(64), primary_key=True),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def add_event(session: AsyncSession, table: Table, event: Event) -> bool:
    """Queue `event` in the caller's transaction. Returns False if its id was queued before."""
    return await insert_ignore(session, table, event_row(event), ["message_id"])


def _insert_ignore(
    session: AsyncSession,
    table: Table,
    values: dict[str, object] | list[dict[str, object]],
    keys: list[str],
) -> sqlite.Insert | postgresql.Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING in the session's dialect."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(values).on_conflict_do_nothing(index_elements=keys)


def _insert_ignore_rows(
    session: AsyncSession, table: Table, keys: list[str]
) -> sqlite.Insert | postgresql.Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING with no values: executed with a list of rows."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)


async def insert_ignore(
    session: AsyncSession, table: Table, values: dict[str, object], keys: list[str]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either backend; True if a row was inserted."""
    stmt = _insert_ignore(session, table, values, keys).returning(table.c[keys[0]])
    return (await session.execute(stmt)).first() is not None


async def insert_ignore_many(
    session: AsyncSession, table: Table, rows: list[dict[str, object]], keys: list[str]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING of many rows (rows already there are left alone): one
    cached statement executed for the list, which SQLAlchemy sends as multi-row VALUES pages
    (compiling a `.values(rows)` statement anew per batch cost more than the database did)."""
    if rows:
        await session.execute(_insert_ignore_rows(session, table, keys), rows)


async def claim_message(
    session: AsyncSession, table: Table, consumer: str, message_id: str
) -> bool:
    """True the first time `message_id` is seen by `consumer` (in this transaction)."""
    return await insert_ignore(
        session,
        table,
        {"consumer": consumer, "message_id": message_id},
        ["consumer", "message_id"],
    )


async def insert_ignore_count(
    session: AsyncSession, table: Table, rows: list[dict[str, object]], keys: list[str]
) -> int:
    """`insert_ignore_many` that says how many of the rows were new; on PostgreSQL one
    statement of fixed text with the rows as one JSON parameter (shared/bulk.py)."""
    if not rows:
        return 0
    new = await populate_count(session, table, rows, keys)
    if new is not None:
        return new
    stmt = _insert_ignore_rows(session, table, keys).returning(table.c[keys[0]])
    return len((await session.execute(stmt, rows)).all())


async def claim_messages(
    session: AsyncSession, table: Table, consumer: str, message_ids: Sequence[str]
) -> set[str]:
    """The ids among `message_ids` that `consumer` sees for the first time (one statement for a
    whole batch, of fixed text on PostgreSQL: shared/bulk.py; an id twice in the batch is
    claimed once)."""
    unique = list(dict.fromkeys(message_ids))
    if not unique:
        return set()
    rows: list[dict[str, object]] = [{"consumer": consumer, "message_id": m} for m in unique]
    new = await populate(session, table, rows, ["consumer", "message_id"], "message_id")
    if new is not None:
        return set(new)
    stmt = _insert_ignore_rows(session, table, ["consumer", "message_id"])
    return set((await session.scalars(stmt.returning(table.c.message_id), rows)).all())


def event_row(event: Event) -> dict[str, object]:
    """An outbox row of `event`, for `insert_ignore_many` (many events in one statement)."""
    return {
        "message_id": event.event_id,
        "routing_key": event.routing_key,
        "version": event.version,
        "body": event.model_dump(mode="json"),
        "attempts": 0,
    }


class OutboxRelay:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        table: Table,
        broker: Broker,
        *,
        batch: int = 200,
        interval: float = 0.5,
    ) -> None:
        self.factory = factory
        self.table = table
        self.broker = broker
        self.batch = batch
        self.interval = interval
        self.published = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that queued events, so they go out without waiting."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch in id order; returns how many rows went out."""
        t = self.table
        stmt = (
            select(t.c.id, t.c.message_id, t.c.routing_key, t.c.version, t.c.body)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(self.batch)
        )
        async with self.factory() as session, session.begin():
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # Hold the rows while publishing so a second relay process skips them.
                rows = (await session.execute(stmt.with_for_update(skip_locked=True))).all()
                done, error = await self._publish_rows(rows)
                await self._mark(session, rows, done)
            else:
                rows = (await session.execute(stmt)).all()
        if session.bind is None or session.bind.dialect.name != "postgresql":
            # SQLite has one writer: never hold its lock across network I/O.
            done, error = await self._publish_rows(rows)
            async with self.factory() as session, session.begin():
                await self._mark(session, rows, done)
        self.published += len(done)
        if error is not None:
            raise error
        return len(done)

    async def _publish_rows(self, rows: Sequence[Any]) -> tuple[list[int], Exception | None]:
        done: list[int] = []
        for row in rows:
            try:
                await self.broker.publish(
                    OutgoingMessage(
                        row.message_id,
                        row.routing_key,
                        row.version,
                        json.dumps(row.body, ensure_ascii=False).encode(),
                    )
                )
            except Exception as exc:  # broker down: keep what went out, retry the rest
                return done, exc
            done.append(row.id)
        return done, None

    async def _mark(self, session: AsyncSession, rows: Sequence[Any], done: list[int]) -> None:
        t = self.table
        if done:
            await session.execute(
                update(t).where(t.c.id.in_(done)).values(published_at=datetime.now(UTC))
            )
        if len(done) < len(rows):
            failed = rows[len(done)].id
            await session.execute(
                update(t).where(t.c.id == failed).values(attempts=t.c.attempts + 1)
            )

    async def run(self) -> None:
        backoff = self.interval
        while True:
            try:
                n = await self.publish_pending()
                backoff = self.interval
                if n >= self.batch:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay: broker or database unavailable (%s); retrying", exc)
                backoff = min(backoff * 2, 10.0)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                pass


async def pending_count(factory: async_sessionmaker[AsyncSession], table: Table) -> int:
    async with factory() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(table).where(table.c.published_at.is_(None))
                )
            ).scalar_one()
        )
