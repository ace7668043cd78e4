"""Case numbers are unique and sequential per year, also for ids that look alike and under
concurrency (they were once cut from the case id and collided)."""

from __future__ import annotations

import asyncio

from shared import migrate
from shared.db import make_engine, make_session_factory, transaction
from workflows.disputes.activities import next_case_no


async def test_numbers_are_unique_and_sequential_per_year_under_concurrency(db_url: str) -> None:
    migrate.upgrade("disputes", db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)

    async def take(year: int) -> str:
        async with transaction(factory) as s:
            return await next_case_no(s, year)

    numbers = await asyncio.gather(*(take(2026) for _ in range(20)))
    assert sorted(numbers) == [f"FQ2026-{n:06d}" for n in range(1, 21)]
    assert await take(2027) == "FQ2027-000001"

    # a transaction that rolls back gives its number back
    try:
        async with transaction(factory) as s:
            assert await next_case_no(s, 2026) == "FQ2026-000021"
            raise RuntimeError("registration failed")
    except RuntimeError:
        pass
    assert await take(2026) == "FQ2026-000021"
    await engine.dispose()
