"""The love supermarket (爱心超市): items, one-time codes, redemptions at the counter.

A redemption takes the points (through the ledger's guarded UPDATE) and the stock (a guarded
UPDATE of its own) in one transaction: if either would go below zero the whole thing rolls
back, including the use of the one-time code. In hold mode the points are held instead and
posted when the goods are handed over, or released when the hold expires.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.points import directory, ledger, stock
from services.points.ledger import Forbidden, NotFound, Refused, claim_key, store_result
from services.points.models import Account, Item, Redemption, RedemptionCode
from services.points.rules import Rules
from services.points.service import account_read
from shared.contracts.points import (
    AccountRead,
    CodeRead,
    DailyList,
    ItemCreate,
    ItemRead,
    RedemptionCreate,
    RedemptionRead,
)


def item_read(item: Item) -> ItemRead:
    return ItemRead(
        id=item.id,
        village_code=item.village_code,
        shop=item.shop,
        name=item.name,
        picture=item.picture,
        price=item.price,
        stock=item.stock,
    )


async def list_items(session: AsyncSession, *, village_code: str | None = None) -> list[ItemRead]:
    stmt = select(Item).order_by(Item.village_code, Item.price, Item.name)
    if village_code is not None:
        stmt = stmt.where(Item.village_code == village_code)
    return [item_read(i) for i in (await session.execute(stmt)).scalars()]


async def create_item(session: AsyncSession, data: ItemCreate) -> ItemRead:
    """A shop item of a village the directory lists (422 `village_code` otherwise)."""
    await directory.require_village(session, data.village_code, "village_code")
    item = Item(id=str(uuid.uuid4()), **data.model_dump())
    session.add(item)
    await session.flush()
    return item_read(item)


async def change_stock(
    session: AsyncSession, *, item_id: str, delta: int, village_code: str | None = None
) -> ItemRead:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}", field="item_id")
    if village_code is not None and item.village_code != village_code:
        raise Forbidden("this item belongs to another village's shop", field="item_id")
    row = (
        await session.execute(
            update(Item)
            .where(Item.id == item_id, Item.stock + delta >= 0)
            .values(stock=Item.stock + delta)
            .returning(Item.stock)
        )
    ).first()
    if row is None:
        raise Refused("stock cannot go below zero", field="delta")
    await stock.after_change(session, item_id, int(row[0]), datetime.now(UTC))
    await session.refresh(item)
    return item_read(item)


async def issue_code(
    session: AsyncSession, *, account_id: str, rules: Rules, now: datetime | None = None
) -> CodeRead:
    """A one-time code the resident shows at the counter; short-lived, usable once."""
    now = now or ledger.utcnow()
    await ledger.ensure_account(session, account_id)
    expires = now + timedelta(minutes=rules.redemption_code_minutes)
    code = f"{secrets.randbelow(10**8):08d}"
    session.add(RedemptionCode(code=code, account_id=account_id, expires_at=expires))
    await session.flush()
    return CodeRead(code=code, expires_at=expires)


async def account_for_code(session: AsyncSession, code: str) -> AccountRead:
    """What the clerk sees before redeeming: name and balance, never the history."""
    row = await session.get(RedemptionCode, code)
    now = ledger.utcnow()
    if row is None or row.used_at is not None or ledger.as_utc(row.expires_at) <= now:
        raise NotFound("unknown, used or expired code", field="code")
    account = await session.get(Account, row.account_id)
    if account is None:
        raise NotFound("unknown, used or expired code", field="code")
    return account_read(account)


async def _use_code(session: AsyncSession, code: str, now: datetime) -> str:
    account_id = (
        await session.execute(
            update(RedemptionCode)
            .where(
                RedemptionCode.code == code,
                RedemptionCode.used_at.is_(None),
                RedemptionCode.expires_at > now,
            )
            .values(used_at=now)
            .returning(RedemptionCode.account_id)
        )
    ).scalar_one_or_none()
    if account_id is None:
        raise Refused("unknown, used or expired code", field="code")
    return account_id


async def receipt(session: AsyncSession, redemption: Redemption) -> RedemptionRead:
    account = await session.get(Account, redemption.account_id, populate_existing=True)
    balance_after = account.balance if account else 0
    return RedemptionRead(
        id=redemption.id,
        receipt_no=redemption.receipt_no,
        account_id=redemption.account_id,
        display_name=account.display_name if account else "",
        item_id=redemption.item_id,
        item_name=redemption.item_name,
        quantity=redemption.quantity,
        points=redemption.points,
        balance_after=balance_after,
        status=redemption.status,
        clerk_id=redemption.clerk_id,
        created_at=ledger.as_utc(redemption.created_at),
        hold_expires_at=(
            ledger.as_utc(redemption.hold_expires_at) if redemption.hold_expires_at else None
        ),
    )


async def get_redemption(session: AsyncSession, redemption_id: str) -> RedemptionRead:
    redemption = await session.get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound(f"no redemption {redemption_id}", field="redemption_id")
    return await receipt(session, redemption)


async def redeem(
    session: AsyncSession,
    data: RedemptionCreate,
    rules: Rules,
    *,
    clerk_village: str | None = None,
    now: datetime | None = None,
) -> RedemptionRead:
    now = now or ledger.utcnow()
    key = f"redeem:{data.clerk_id}:{data.idempotency_key}"
    done = await claim_key(session, key, data.model_dump(exclude={"idempotency_key"}))
    if done is not None:
        return await get_redemption(session, str(done["id"]))
    item = await session.get(Item, data.item_id)
    if item is None:
        raise NotFound(f"no item {data.item_id}", field="item_id")
    if clerk_village is not None and item.village_code != clerk_village:
        raise Forbidden("this item belongs to another village's shop", field="item_id")
    account_id = await _use_code(session, data.code, now)
    points = item.price * data.quantity
    redemption_id = str(uuid.uuid4())
    entry = await ledger.post(
        session,
        account_id=account_id,
        kind="hold" if data.hold else "redeem",
        amount=-points,
        held_delta=points if data.hold else 0,
        reason_kind="redemption",
        reason=f"{data.quantity} × {item.name}",
        ref=redemption_id,
        actor_id=data.clerk_id,
        idem_key=f"redeem:{redemption_id}",
        now=now,
    )
    left = (
        await session.execute(
            update(Item)
            .where(Item.id == item.id, Item.stock >= data.quantity)
            .values(stock=Item.stock - data.quantity)
            .returning(Item.stock)
        )
    ).first()
    if left is None:
        raise Refused(f"{item.name} is out of stock", field="quantity")
    await stock.after_change(session, item.id, int(left[0]), now)
    hold_until = now + timedelta(minutes=rules.redemption_hold_minutes)
    redemption = Redemption(
        id=redemption_id,
        receipt_no=f"R{now.astimezone(rules.tz):%Y%m%d}-{secrets.token_hex(4).upper()}",
        account_id=account_id,
        item_id=item.id,
        item_name=item.name,
        quantity=data.quantity,
        points=points,
        clerk_id=data.clerk_id,
        village_code=item.village_code,
        status="held" if data.hold else "completed",
        day=now.astimezone(rules.tz).date().isoformat(),
        hold_expires_at=hold_until if data.hold else None,
        created_at=now,
    )
    session.add(redemption)
    await session.flush()
    if not data.hold:
        await ledger.emit(session, entry, item_name=item.name)
    await store_result(session, key, {"id": redemption_id})
    return await receipt(session, redemption)


async def hand_over(session: AsyncSession, *, redemption_id: str, clerk_id: str) -> RedemptionRead:
    """Goods handed over: the held points are taken for good."""
    redemption = await session.get(Redemption, redemption_id, with_for_update=True)
    if redemption is None:
        raise NotFound(f"no redemption {redemption_id}", field="redemption_id")
    if redemption.status == "completed":
        return await receipt(session, redemption)
    if redemption.status != "held":
        raise Refused(f"this redemption is {redemption.status}", field="redemption_id")
    entry = await ledger.post(
        session,
        account_id=redemption.account_id,
        kind="redeem",
        amount=0,
        held_delta=-redemption.points,
        reason_kind="redemption",
        reason=f"{redemption.quantity} × {redemption.item_name}",
        ref=redemption.id,
        actor_id=clerk_id,
        idem_key=f"handover:{redemption.id}",
    )
    redemption.status = "completed"
    await session.flush()
    await ledger.emit(session, entry, item_name=redemption.item_name)
    return await receipt(session, redemption)


async def void_expired_holds(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Holds not handed over in time: points released, stock put back."""
    now = now or ledger.utcnow()
    due = (
        (
            await session.execute(
                select(Redemption)
                .where(Redemption.status == "held", Redemption.hold_expires_at <= now)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    for redemption in due:
        await ledger.post(
            session,
            account_id=redemption.account_id,
            kind="release",
            amount=redemption.points,
            held_delta=-redemption.points,
            reason_kind="redemption",
            reason="hold expired, goods not handed over",
            ref=redemption.id,
            idem_key=f"release:{redemption.id}",
            now=now,
        )
        await session.execute(
            update(Item)
            .where(Item.id == redemption.item_id)
            .values(stock=Item.stock + redemption.quantity)
        )
        redemption.status = "voided"
    await session.flush()
    return len(due)


async def daily_list(session: AsyncSession, *, clerk_id: str, day: str) -> DailyList:
    rows = (
        (
            await session.execute(
                select(Redemption)
                .where(Redemption.clerk_id == clerk_id, Redemption.day == day)
                .order_by(Redemption.created_at)
            )
        )
        .scalars()
        .all()
    )
    receipts = [await receipt(session, r) for r in rows]
    counted = [r for r in receipts if r.status != "voided"]
    return DailyList(
        day=day,
        clerk_id=clerk_id,
        redemptions=receipts,
        total_points=sum(r.points for r in counted),
        total_items=sum(r.quantity for r in counted),
    )
