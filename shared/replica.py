"""A replica of another service's records, kept by its listings (the directory's villages,
police rooms, officers' postings): each listing is the whole record as its owner has it now,
sent again whenever it changes, and the newest (`occurred_at`) wins. A listing redelivered
writes the same values again; one older than the row held, arriving late, changes nothing.
Every replica in every service keeps its rows through `keep_newest`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")
STAMP = "listed_at"  # the column holding when the owner listed the row held


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def keep_newest(
    session: AsyncSession,
    model: type[Row],
    key: Mapping[str, Any],
    listed_at: datetime,
    values: Mapping[str, Any],
) -> Row | None:
    """Write `values` into the row of `model` named by `key` (its primary key columns), created
    if missing, unless the row holds a newer listing; the row written, or None when the listing
    is older than the one held. A row without a listing time (filled before its replica was
    fed by events) takes any listing."""
    at = _utc(listed_at)
    row = await session.get(model, dict(key))
    if row is not None:
        held = getattr(row, STAMP)
        if held is not None and _utc(held) > at:
            return None
    else:
        row = model(**key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    setattr(row, STAMP, at)
    return row
