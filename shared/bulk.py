"""Many rows in one PostgreSQL statement whose text does not depend on how many there are.

`INSERT ... SELECT ... FROM json_populate_recordset(NULL::table, :rows) ON CONFLICT DO NOTHING`
with the rows as one JSON parameter. A multi-row `VALUES (...), (...)` statement is new text
for every batch size and longer than psycopg caches, so psycopg re-parsed its placeholders in
Python on every call (a quarter of the notifications consumer's CPU); one array parameter per
column (`unnest`) cost as much again in psycopg's array dumping. This statement is parsed once
and prepared by the server after a few calls, its rows serialised by the json module's C
encoder, and PostgreSQL turns each field into its column's type as an INSERT would (a value
too long for its varchar is refused, not cut). Only for columns of strings, integers,
decimals, booleans or timestamps with time zone (a float's NaN is not JSON), and rows that
give every column whose default SQLAlchemy computes in Python; `populate_insert` answers None
otherwise, and SQLite never uses it (callers keep their multi-row path there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    TextClause,
    any_,
    bindparam,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

_PLAIN_STRINGS = ("String", "Text", "Unicode", "UnicodeText", "VARCHAR", "TEXT")
_CACHE: dict[tuple[Table, tuple[str, ...], tuple[str, ...], str | None], TextClause | None] = {}


def _plain(sql_type: TypeEngine[Any]) -> bool:
    """A column type whose value JSON carries and PostgreSQL reads back unchanged."""
    if isinstance(sql_type, String):
        return type(sql_type).__name__ in _PLAIN_STRINGS
    if isinstance(sql_type, DateTime):
        return bool(sql_type.timezone)  # an aware value into a naive column would shift
    return isinstance(sql_type, Boolean | Integer | Numeric) and not isinstance(sql_type, Float)


def populate_insert(
    table: Table, columns: Sequence[str], keys: Sequence[str], returning: str | None = None
) -> TextClause | None:
    """`INSERT INTO table (columns) SELECT columns FROM json_populate_recordset(NULL::table,
    :rows) ON CONFLICT (keys) DO NOTHING [RETURNING returning]` (cached per shape); None when
    the table or the columns given are not one it carries."""
    key = (table, tuple(columns), tuple(keys), returning)
    if key in _CACHE:
        return _CACHE[key]
    # a column left out whose default SQLAlchemy computes in Python would be NULL here
    python_defaults = [
        c
        for c in table.c
        if c.name not in columns and c.default is not None and not c.default.is_sequence
    ]
    plain = all(_plain(table.c[name].type) for name in columns)
    stmt: TextClause | None = None
    if plain and not python_defaults and table.schema is None:
        names = ", ".join(f'"{name}"' for name in columns)
        conflict = ", ".join(f'"{name}"' for name in keys)
        sql = (
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM '
            f'json_populate_recordset(NULL::"{table.name}", CAST(:rows AS JSON)) '
            f"ON CONFLICT ({conflict}) DO NOTHING"
        )
        if returning is not None:
            sql += f' RETURNING "{returning}"'
        stmt = text(sql)
    _CACHE[key] = stmt
    return stmt


def _encode(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not sent in a bulk insert")


def rows_json(rows: Sequence[dict[str, object]]) -> str:
    """The rows as `populate_insert`'s `rows` parameter."""
    return json.dumps(rows, default=_encode, ensure_ascii=False, separators=(",", ":"))


async def _execute(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, object]],
    keys: list[str],
    returning: str | None,
) -> CursorResult[Any] | None:
    if not rows or session.bind is None or session.bind.dialect.name != "postgresql":
        return None
    stmt = populate_insert(table, list(rows[0]), keys, returning)
    if stmt is None:
        return None
    connection = await session.connection()  # a Core statement: no ORM step on the way
    return await connection.execute(stmt, {"rows": rows_json(rows)})


async def populate(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, object]],
    keys: list[str],
    returning: str,
) -> list[Any] | None:
    """On PostgreSQL, insert `rows` (all with the same keys) ignoring conflicts on `keys` in one
    statement: `returning`'s values of the new rows. None: not done, the caller takes its
    multi-row path (SQLite, or a table this does not carry)."""
    result = await _execute(session, table, rows, keys, returning)
    return None if result is None else list(result.scalars())


async def populate_count(
    session: AsyncSession, table: Table, rows: list[dict[str, object]], keys: list[str]
) -> int | None:
    """`populate` that answers how many rows were new (the server's count: no row comes back)."""
    result = await _execute(session, table, rows, keys, None)
    return None if result is None else result.rowcount


def among(session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(:values)`, one array parameter, so the
    statement's text is the same however many values there are."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # strings as text[]: a cast to varchar(n)[] would cut a longer value into a match
        item = Text() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, list(values), type_=ARRAY(item)))
    return column.in_(values)
