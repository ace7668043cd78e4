"""The booking benchmark's database side: the bare endpoint's slot rows and the checks that
no slot holds more bookings than seats (raw SQL on the appointments database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text

from shared.db import make_engine


async def check_service(url: str, hot: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            over = await conn.scalar(text("SELECT count(*) FROM slot WHERE booked > capacity"))
            mismatch = await conn.scalar(
                text(
                    "SELECT count(*) FROM slot s WHERE s.office_code <> 'BARE' AND s.booked <>"
                    " (SELECT count(*) FROM booking b WHERE b.slot_id = s.id AND b.active)"
                )
            )
            bookings = await conn.scalar(text("SELECT count(*) FROM booking WHERE active"))
            hot_row = (
                await conn.execute(
                    text("SELECT booked, capacity FROM slot WHERE id = :id"), {"id": hot}
                )
            ).one()
    finally:
        await engine.dispose()
    return {
        "slots_over_capacity": int(over or 0),
        "slots_booked_not_equal_bookings": int(mismatch or 0),
        "bookings_in_db": int(bookings or 0),
        "hot_slot_booked": int(hot_row.booked),
        "hot_slot_capacity": int(hot_row.capacity),
    }


async def add_bare_slots(url: str, n: int, capacity: int) -> list[str]:
    """Rows of the same slot table for the bare endpoint (its own ids, same shape)."""
    ids = [f"BARE.{i:06d}.appointment" for i in range(n)]
    engine = make_engine(url)
    start = datetime(2030, 1, 1, 0, 0)
    try:
        async with engine.begin() as conn:
            for i in range(0, n, 5000):
                await conn.execute(
                    text(
                        "INSERT INTO slot (id, office_code, way, starts_at, ends_at, extended,"
                        " capacity, booked) VALUES (:id, 'BARE', 'appointment', :s, :e, false,"
                        " :cap, 0)"
                    ),
                    [
                        {"id": sid, "s": start, "e": start + timedelta(minutes=30), "cap": capacity}
                        for sid in ids[i : i + 5000]
                    ],
                )
    finally:
        await engine.dispose()
    return ids


async def check_bare(url: str, hot: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            over = await conn.scalar(
                text("SELECT count(*) FROM slot WHERE office_code = 'BARE' AND booked > capacity")
            )
            claimed = await conn.scalar(
                text("SELECT coalesce(sum(booked), 0) FROM slot WHERE office_code = 'BARE'")
            )
            hot_row = (
                await conn.execute(
                    text("SELECT booked, capacity FROM slot WHERE id = :id"), {"id": hot}
                )
            ).one()
    finally:
        await engine.dispose()
    return {
        "slots_over_capacity": int(over or 0),
        "seats_claimed_in_db": int(claimed or 0),
        "hot_slot_booked": int(hot_row.booked),
        "hot_slot_capacity": int(hot_row.capacity),
    }


async def slot_capacity(url: str, sid: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            cap = await conn.scalar(text("SELECT capacity FROM slot WHERE id = :id"), {"id": sid})
    finally:
        await engine.dispose()
    return int(cap or 0)


async def free_seats(url: str, ids: list[str]) -> int:
    """Seats still free in these slots (what a run's share had left at the end)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            left = await conn.scalar(
                text(
                    "SELECT coalesce(sum(capacity - booked), 0) FROM slot WHERE id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids},
            )
    finally:
        await engine.dispose()
    return int(left or 0)
