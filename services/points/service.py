"""Domain logic of the points service (no FastAPI, no aio-pika here).

Every function works inside the caller's transaction (`shared.db.transaction`); events go to
the outbox in that same transaction. Earning from events is idempotent twice over: the inbox
drops a redelivered message, and each credit has a ledger key derived from its source (the
case id and the helper), so even a second event about the same closure credits nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.points import bulk, ledger
from services.points.bulk import CreditEvent
from services.points.ledger import Forbidden, NotFound, Refused, claim_key, store_result
from services.points.models import Account, Entry, Tip
from services.points.rules import Rules
from shared.contracts.points import (
    AccountRead,
    EntryRead,
    HistoryRead,
    TipCreate,
    TipRead,
)
from shared.messaging.contracts.users import UserUpserted

# -- accounts -------------------------------------------------------------------------------


async def upsert_user(session: AsyncSession, event: UserUpserted) -> None:
    await ledger.ensure_account(session, event.user_id)
    await session.execute(
        update(Account)
        .where(Account.id == event.user_id)
        .values(display_name=event.display_name, village_code=event.village_code, role=event.role)
    )


def account_read(account: Account) -> AccountRead:
    return AccountRead(
        account_id=account.id,
        display_name=account.display_name,
        village_code=account.village_code,
        balance=account.balance,
        held=account.held,
        version=account.version,
    )


def entry_read(entry: Entry) -> EntryRead:
    return EntryRead(
        id=entry.id,
        kind=entry.kind,
        amount=entry.amount,
        balance_after=entry.balance_after,
        reason_kind=entry.reason_kind,
        reason=entry.reason,
        ref=entry.ref,
        reverses_id=entry.reverses_id,
        created_at=ledger.as_utc(entry.created_at),
        rules_version=entry.rules_version,
    )


async def get_account(session: AsyncSession, account_id: str) -> AccountRead:
    account = await session.get(Account, account_id)
    if account is None:  # a resident who has not earned anything yet
        return AccountRead(
            account_id=account_id, display_name="", village_code=None, balance=0, held=0, version=0
        )
    return account_read(account)


async def history(session: AsyncSession, account_id: str, *, limit: int = 200) -> HistoryRead:
    entries = (
        await session.execute(
            select(Entry)
            .where(Entry.account_id == account_id)
            .order_by(Entry.version.desc())
            .limit(limit)
        )
    ).scalars()
    return HistoryRead(
        account=await get_account(session, account_id), entries=[entry_read(e) for e in entries]
    )


async def adjust(
    session: AsyncSession, *, account_id: str, amount: int, reason: str, actor_id: str, key: str
) -> EntryRead:
    """An administrator's correction, with a reason; keyed so a retried request posts once."""
    idem = f"adjust:{key}"
    done = await ledger.entry_by_key(session, idem)
    if done is not None:
        if (done.account_id, done.amount, done.reason) != (account_id, amount, reason):
            raise ledger.IdempotencyMismatch(
                "this idempotency key was used with a different request", field="idempotency_key"
            )
        return entry_read(done)
    if await session.get(Account, account_id) is None:
        raise NotFound(f"no points account {account_id}", field="account_id")
    entry = await ledger.post(
        session,
        account_id=account_id,
        kind="adjust",
        amount=amount,
        reason_kind="adjustment",
        reason=reason,
        actor_id=actor_id,
        idem_key=idem,
    )
    await ledger.emit(session, entry)
    return entry_read(entry)


async def reverse(
    session: AsyncSession, *, entry_id: str, reason: str, actor_id: str, key: str
) -> EntryRead:
    entry = await ledger.reverse(
        session, entry_id=entry_id, reason=reason, actor_id=actor_id, idem_key=f"reverse:{key}"
    )
    return entry_read(entry)


# -- earning from disputes -----------------------------------------------------------------


async def credit_dispute_event(session: AsyncSession, event: CreditEvent, rules: Rules) -> int:
    """A closed case's or a follow-up's credits one by one, the same credits a consumed batch
    gives in bulk (`bulk.credits_of`: the helpers, then a resident reporter); returns how many
    were new."""
    credited = 0
    for c in await bulk.credits_of(session, [event], rules):
        await ledger.ensure_account(session, c.account_id, village_code=c.village_code)
        entry = await ledger.credit_once(
            session,
            account_id=c.account_id,
            amount=c.amount,
            reason_kind=c.reason_kind,
            reason=c.reason,
            ref=c.ref,
            idem_key=c.idem_key,
            rules_version=c.rules_version,
        )
        credited += entry is not None
    return credited


# -- crime tips ------------------------------------------------------------------------------


def tip_read(tip: Tip) -> TipRead:
    return TipRead(
        id=tip.id,
        tipster_id=tip.tipster_id,
        village_code=tip.village_code,
        text=tip.text,
        status=tip.status,
        rating=tip.rating,
        points=tip.points,
        created_at=ledger.as_utc(tip.created_at),
    )


async def submit_tip(session: AsyncSession, data: TipCreate) -> TipRead:
    body = data.model_dump(mode="json", exclude={"idempotency_key"})
    key = f"tip:{data.tipster_id}:{data.idempotency_key}"
    done = await claim_key(session, key, body)
    if done is not None:
        return await get_tip(session, str(done["id"]))
    await ledger.ensure_account(session, data.tipster_id, village_code=data.village_code)
    tip = Tip(
        id=str(uuid.uuid4()),
        tipster_id=data.tipster_id,
        village_code=data.village_code,
        text=data.text,
        status="submitted",
        points=0,
        created_at=ledger.utcnow(),
    )
    session.add(tip)
    await session.flush()
    await store_result(session, key, {"id": tip.id})
    return tip_read(tip)


async def get_tip(session: AsyncSession, tip_id: str) -> TipRead:
    tip = await session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"no tip {tip_id}", field="tip_id")
    return tip_read(tip)


async def list_tips(
    session: AsyncSession,
    *,
    status: str | None = None,
    tipster_id: str | None = None,
    station_code: str | None = None,
) -> list[TipRead]:
    stmt = select(Tip).order_by(Tip.created_at.desc()).limit(200)
    if status is not None:
        stmt = stmt.where(Tip.status == status)
    if tipster_id is not None:
        stmt = stmt.where(Tip.tipster_id == tipster_id)
    if station_code is not None:
        stmt = stmt.where(Tip.village_code.in_(ledger.station_villages(station_code)))
    return [tip_read(t) for t in (await session.execute(stmt)).scalars()]


async def rate_tip(
    session: AsyncSession,
    *,
    tip_id: str,
    officer_id: str,
    rating: str,
    rules: Rules,
    station_code: str | None = None,
) -> TipRead:
    tip = await session.get(Tip, tip_id, with_for_update=True)
    if tip is None:
        raise NotFound(f"no tip {tip_id}", field="tip_id")
    await ledger.check_station(session, tip.village_code, station_code, "tip")
    if tip.tipster_id == officer_id:
        raise Forbidden("nobody rates their own tip", field="tip_id")
    if tip.status == "rated":
        if (tip.rated_by, tip.rating) == (officer_id, rating):
            return tip_read(tip)
        raise Refused("this tip was already rated", field="tip_id")
    if rating not in rules.tip_points:
        raise Refused(f"unknown rating {rating}", field="rating")
    points = rules.tip_points[rating]
    tip.status, tip.rating, tip.rated_by, tip.points = "rated", rating, officer_id, points
    tip.rated_at = ledger.utcnow()
    await ledger.credit_once(
        session,
        account_id=tip.tipster_id,
        amount=points,
        reason_kind="tip",
        reason=f"crime tip rated {rating}",
        ref=tip.id,
        idem_key=f"tip:{tip.id}",
        actor_id=officer_id,
        rules_version=rules.version,
    )
    await session.flush()
    return tip_read(tip)
