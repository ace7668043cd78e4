"""Love supermarket stock (no FastAPI here): the low-stock mark per item, the alert to the
village's group leader (once per shortage, through the outbox), price changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.ledger import NotFound
from services.points.models import Item, StockAlert, outbox
from shared.contracts.points import ItemChange, StockItemRead
from shared.messaging.contracts.points import SupermarketStockLow
from shared.messaging.outbox import add_event


def _read(item: Item, alert: StockAlert | None) -> StockItemRead:
    low_at = alert.low_at if alert else 0
    return StockItemRead(
        id=item.id,
        village_code=item.village_code,
        shop=item.shop,
        name=item.name,
        picture=item.picture,
        price=item.price,
        stock=item.stock,
        low_at=low_at,
        low=item.stock <= low_at,
    )


async def items(session: AsyncSession, village_code: str | None = None) -> list[StockItemRead]:
    stmt = (
        select(Item, StockAlert)
        .outerjoin(StockAlert, StockAlert.item_id == Item.id)
        .order_by(Item.village_code, Item.name)
    )
    if village_code:
        stmt = stmt.where(Item.village_code == village_code)
    return [_read(i, a) for i, a in await session.execute(stmt)]


async def after_change(session: AsyncSession, item_id: str, stock: int, now: datetime) -> None:
    """Called in the transaction that changed the stock: alert once on falling to the mark,
    re-arm when a restock lifts it above."""
    alert = await session.get(StockAlert, item_id, with_for_update=True)
    if alert is None:
        return
    if stock > alert.low_at:
        alert.alerted_at = None
        return
    if alert.alerted_at is not None:
        return
    item = await session.get(Item, item_id)
    assert item is not None
    alert.alerted_at = now
    await add_event(
        session,
        outbox,
        SupermarketStockLow(
            occurred_at=now,
            item_id=item.id,
            item_name=item.name,
            shop=item.shop,
            village_code=item.village_code,
            stock=stock,
            alert_level=alert.low_at,
        ),
    )


async def change(
    session: AsyncSession, item_id: str, data: ItemChange, now: datetime
) -> StockItemRead:
    item = await session.get(Item, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"no item {item_id}", field="item_id")
    if data.price is not None:
        item.price = data.price
    alert = await session.get(StockAlert, item_id)
    if data.low_at is not None:
        if alert is None:
            alert = StockAlert(item_id=item_id, low_at=data.low_at, alerted_at=None)
            session.add(alert)
        else:
            alert.low_at = data.low_at
        await session.flush()
        await after_change(session, item_id, item.stock, now)
    return _read(item, alert)
