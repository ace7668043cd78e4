"""The bare baseline of the booking benchmark: one conditional UPDATE behind FastAPI.

`uvicorn bench._bare_booking:app` with `FQ_BENCH_BARE_DB` = the database URL. Same engine
settings as the services (`shared.db.make_engine`: WAL, busy timeout, BEGIN IMMEDIATE).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import CursorResult, text

from shared.db import make_engine, make_session_factory, transaction

CLAIM = text("UPDATE slot SET booked = booked + 1 WHERE id = :id AND booked < capacity")


class Claim(BaseModel):
    resident_id: str
    service_code: str
    slot_id: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = make_engine(os.environ["FQ_BENCH_BARE_DB"])
    app.state.factory = make_session_factory(engine)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/book")
async def book(body: Claim) -> JSONResponse:
    async with transaction(app.state.factory) as s:
        result: CursorResult[Any] = await s.execute(CLAIM, {"id": body.slot_id})  # type: ignore[assignment]
    if result.rowcount == 1:
        return JSONResponse({"slot_id": body.slot_id}, status_code=201)
    return JSONResponse({"detail": "the slot is full"}, status_code=409)
