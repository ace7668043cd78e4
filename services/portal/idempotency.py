"""Idempotency-Key of the JSON API: a retry with the same key and the same request acts once
(the backends deduplicate by the key); the same key with another request is refused, so a
client's bug cannot silently get the first request's answer for a different one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.portal.models import IdempotencyKey
from shared.db import transaction
from shared.messaging.outbox import insert_ignore


class KeyReused(Exception):
    """The key was sent before with another request."""

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used with another request")


def fingerprint(operation: str, body: str) -> str:
    return hashlib.sha256(f"{operation}\n{body}".encode()).hexdigest()


async def claim(
    factory: async_sessionmaker[AsyncSession], *, user_id: str, key: str, print_: str
) -> None:
    """Record the key's first use, or check a retry against it; raises KeyReused."""
    async with transaction(factory) as session:
        table = IdempotencyKey.__table__
        values = {
            "user_id": user_id,
            "key": key,
            "fingerprint": print_,
            "created_at": datetime.now(UTC),
        }
        if await insert_ignore(session, table, values, ["user_id", "key"]):  # type: ignore[arg-type]
            return
        first = await session.scalar(
            select(IdempotencyKey.fingerprint).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
    if first != print_:
        raise KeyReused()
