"""Bulk inserts that ignore conflicts (shared/bulk.py on PostgreSQL, multi-row VALUES on
SQLite): the same rows land as one by one would, each once, with their types, defaults and
lengths kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bulk import among
from shared.db import make_metadata, transaction
from shared.messaging.outbox import claim_messages, inbox_table, insert_ignore_count
from tests.helpers import tables_on


@dataclass
class Tables:
    notes: Table
    tagged: Table
    inbox: Table
    factory: async_sessionmaker[AsyncSession]


@pytest.fixture
async def tables(db_url: str) -> AsyncIterator[Tables]:
    md = make_metadata()
    notes = Table(
        "notes",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("ref", String(8), nullable=False),
        Column("who", String(16), nullable=False),
        Column("body", Text, nullable=False),
        Column("urgent", Boolean, nullable=False),
        Column("tries", Integer, nullable=False),
        Column("due_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True)),
        UniqueConstraint("ref", "who"),
    )
    # a column whose default SQLAlchemy computes in Python
    tagged = Table(
        "tagged",
        md,
        Column("ref", String(8), primary_key=True),
        Column("tag", String(8), nullable=False, default="new"),
    )
    inbox = inbox_table(md)
    async with tables_on(db_url, md) as factory:
        yield Tables(notes, tagged, inbox, factory)


def note(ref: str, who: str, **changes: object) -> dict[str, object]:
    due = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    row: dict[str, object] = {
        "ref": ref,
        "who": who,
        "body": f"案件 {ref} 已办结, “引号” and 'quotes' \\ {{braces}}",
        "urgent": who == "chief",
        "tries": 0,
        "due_at": due,
        "sent_at": None,
    }
    return row | changes


async def test_rows_land_once_with_their_values_and_a_repeat_adds_nothing(
    tables: Tables,
) -> None:
    first = [note("c1", "res-1"), note("c1", "chief", sent_at=datetime(2026, 3, 1, tzinfo=UTC))]
    async with transaction(tables.factory) as s:
        assert await insert_ignore_count(s, tables.notes, first, ["ref", "who"]) == 2
    again = [note("c1", "res-1", body="changed"), note("c2", "res-1")]
    async with transaction(tables.factory) as s:
        assert await insert_ignore_count(s, tables.notes, again, ["ref", "who"]) == 1
    async with tables.factory() as s:
        rows = (await s.execute(select(tables.notes).order_by(tables.notes.c.id))).all()
    got = [(r.ref, r.who, r.body, r.urgent, r.tries, utc(r.sent_at)) for r in rows]
    assert got == [
        ("c1", "res-1", first[0]["body"], False, 0, None),  # the repeat left it alone
        ("c1", "chief", first[1]["body"], True, 0, datetime(2026, 3, 1, tzinfo=UTC)),
        ("c2", "res-1", again[1]["body"], False, 0, None),
    ]
    if tables.factory.kw["bind"].dialect.name == "postgresql":
        # the same instant, whatever zone it was written in (SQLite keeps the wall time:
        # callers hand it UTC)
        assert {utc(r.due_at) for r in rows} == {datetime(2026, 3, 1, 1, 30, tzinfo=UTC)}


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone (they were written in UTC)."""
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_a_value_longer_than_its_column_is_never_stored_cut(tables: Tables) -> None:
    too_long = note("c3", "someone-with-a-long-id")  # 22 characters into String(16)
    try:
        async with transaction(tables.factory) as s:
            await insert_ignore_count(s, tables.notes, [too_long], ["ref", "who"])
    except DBAPIError:
        pass  # PostgreSQL refuses it (SQLite keeps text whole)
    async with tables.factory() as s:
        stored = list(await s.scalars(select(tables.notes.c.who)))
    assert stored in ([], ["someone-with-a-long-id"])


async def test_a_python_default_of_a_column_left_out_is_applied(tables: Tables) -> None:
    async with transaction(tables.factory) as s:
        assert await insert_ignore_count(s, tables.tagged, [{"ref": "a"}, {"ref": "b"}], ["ref"])
    async with tables.factory() as s:
        rows = (await s.execute(select(tables.tagged).order_by(tables.tagged.c.ref))).all()
    assert [tuple(r) for r in rows] == [("a", "new"), ("b", "new")]


async def test_claims_answer_the_ids_seen_for_the_first_time(tables: Tables) -> None:
    async with transaction(tables.factory) as s:
        assert await claim_messages(s, tables.inbox, "probe", ["m1", "m2", "m1"]) == {"m1", "m2"}
    async with transaction(tables.factory) as s:
        assert await claim_messages(s, tables.inbox, "probe", ["m2", "m3"]) == {"m3"}
        assert await claim_messages(s, tables.inbox, "other", ["m2"]) == {"m2"}


async def test_among_finds_what_in_finds(tables: Tables) -> None:
    rows = [note(f"case000{i}", "res-1") for i in range(5)]  # as long as the column
    async with transaction(tables.factory) as s:
        await insert_ignore_count(s, tables.notes, rows, ["ref", "who"])
    # a longer value is no match for its first eight characters
    wanted = ["case0001", "case0003", "missing", "case0004-and-more"]
    async with tables.factory() as s:
        found = await s.scalars(
            select(tables.notes.c.ref).where(among(s, tables.notes.c.ref, wanted))
        )
        assert sorted(found) == ["case0001", "case0003"]
