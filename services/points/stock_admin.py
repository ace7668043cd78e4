"""Internal API of the supermarket's stock administration (/internal/v1/admin/items)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from services.points import stock
from services.points.deps import RuntimeDep, SessionDep
from shared.contracts.points import ItemChange, StockItemRead
from shared.db import transaction

router = APIRouter(prefix="/admin/items")


@router.get("")
async def items(session: SessionDep, village_code: str | None = None) -> list[StockItemRead]:
    return await stock.items(session, village_code)


@router.patch("/{item_id}")
async def change(item_id: str, body: ItemChange, rt: RuntimeDep) -> StockItemRead:
    async with transaction(rt.factory) as s:
        out = await stock.change(s, item_id, body, datetime.now(UTC))
    rt.wake_relay()
    return out
