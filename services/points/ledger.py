"""The ledger: immutable entries, a cached balance that the database keeps >= 0, a hash chain.

Every change goes through `post()`: one conditional UPDATE of the account row (`WHERE
balance + amount >= 0`, plus a CHECK constraint as the last word) bumps the cached balance and
version and, on PostgreSQL, locks the row until commit; SQLite serialises writers with BEGIN
IMMEDIATE. The new entry links to the account's previous entry by hash, so editing, inserting
or deleting a row anywhere in an account's history breaks `verify_chain()`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.models import (
    GENESIS_HASH,
    Account,
    Entry,
    IdempotentRequest,
    Village,
    outbox,
)
from shared.errors import DomainError
from shared.messaging.contracts.points import PointsAwarded, PointsRedeemed, PointsReversed
from shared.messaging.events import deterministic_event_id
from shared.messaging.outbox import add_event, insert_ignore

CREDIT_KINDS = ("earn", "adjust")
REVERSIBLE_KINDS = ("earn", "adjust", "redeem")


class PointsError(DomainError):
    """A refused action (409 unless a subclass says otherwise); `field` names the input at
    fault when there is one. The reason is English, a literal or f-string at the raise whose
    source is the template the portal translates (see services/portal/reasons.py)."""

    status = 409

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason, field)


class NotFound(PointsError):
    status = 404


class Refused(PointsError):
    pass


class Forbidden(PointsError):
    status = 403


class InsufficientPoints(Refused):
    pass


class IdempotencyMismatch(Refused):
    pass


async def check_station(
    session: AsyncSession, village_code: str | None, station_code: str | None, what: str
) -> None:
    """Officers act only on their station's villages (None = no restriction, e.g. tests)."""
    if station_code is None:
        return
    station = (
        await session.execute(select(Village.station_code).where(Village.code == village_code))
    ).scalar_one_or_none()
    if station != station_code:
        raise Forbidden(f"this {what} is outside your station", field="station_code")


def station_villages(station_code: str) -> Any:
    return select(Village.code).where(Village.station_code == station_code)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def body_hash(body: Any) -> str:
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


async def claim_key(session: AsyncSession, key: str, body: Any) -> dict[str, Any] | None:
    """None when `key` is new (go ahead); else the first result. Another body is refused."""
    digest = body_hash(body)
    table = IdempotentRequest.__table__
    if await insert_ignore(session, table, {"key": key, "body_hash": digest}, ["key"]):  # type: ignore[arg-type]
        return None
    row = (
        await session.execute(
            select(IdempotentRequest.body_hash, IdempotentRequest.result).where(
                IdempotentRequest.key == key
            )
        )
    ).one()
    if row.body_hash != digest:
        raise IdempotencyMismatch(
            "this idempotency key was used with a different request", field="idempotency_key"
        )
    return dict(row.result or {})


async def store_result(session: AsyncSession, key: str, result: dict[str, Any]) -> None:
    await session.execute(
        update(IdempotentRequest).where(IdempotentRequest.key == key).values(result=result)
    )


async def ensure_account(
    session: AsyncSession,
    account_id: str,
    *,
    kind: str = "resident",
    display_name: str = "",
    village_code: str | None = None,
) -> None:
    values: dict[str, object] = {
        "id": account_id,
        "kind": kind,
        "display_name": display_name,
        "village_code": village_code,
        "balance": 0,
        "held": 0,
        "version": 0,
        "head_hash": GENESIS_HASH,
    }
    await insert_ignore(session, Account.__table__, values, ["id"])  # type: ignore[arg-type]


def entry_hash(values: dict[str, Any]) -> str:
    fields = (
        "id",
        "account_id",
        "version",
        "kind",
        "amount",
        "held_delta",
        "balance_after",
        "reason_kind",
        "reason",
        "ref",
        "reverses_id",
        "actor_id",
        "idem_key",
        "prev_hash",
    )
    data = [values[f] for f in fields] + [as_utc(values["created_at"]).isoformat()]
    if values.get("rules_version") is not None:  # entries older than rule versions lack it
        data.append(values["rules_version"])
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


async def post(
    session: AsyncSession,
    *,
    account_id: str,
    kind: str,
    amount: int,
    reason_kind: str,
    idem_key: str,
    held_delta: int = 0,
    reason: str = "",
    ref: str = "",
    actor_id: str | None = None,
    reverses_id: str | None = None,
    now: datetime | None = None,
    rules_version: int | None = None,
) -> Entry:
    """Append one entry; InsufficientPoints if it would take the balance below zero."""
    row = (
        await session.execute(
            update(Account)
            .where(
                Account.id == account_id,
                Account.balance + amount >= 0,
                Account.held + held_delta >= 0,
            )
            .values(
                balance=Account.balance + amount,
                held=Account.held + held_delta,
                version=Account.version + 1,
            )
            .returning(Account.balance, Account.version, Account.head_hash)
        )
    ).first()
    if row is None:
        if await session.get(Account, account_id) is None:
            raise NotFound(f"no points account {account_id}", field="account_id")
        raise InsufficientPoints("not enough points", field="amount")
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "account_id": account_id,
        "version": row.version,
        "kind": kind,
        "amount": amount,
        "held_delta": held_delta,
        "balance_after": row.balance,
        "reason_kind": reason_kind,
        "reason": reason,
        "ref": ref,
        "reverses_id": reverses_id,
        "actor_id": actor_id,
        "idem_key": idem_key,
        "created_at": now or utcnow(),
        "rules_version": rules_version,
        "prev_hash": row.head_hash,
    }
    values["hash"] = entry_hash(values)
    await session.execute(insert(Entry).values(**values))
    await session.execute(
        update(Account).where(Account.id == account_id).values(head_hash=values["hash"])
    )
    return Entry(**values)


async def entry_by_key(session: AsyncSession, idem_key: str) -> Entry | None:
    return (
        await session.execute(select(Entry).where(Entry.idem_key == idem_key))
    ).scalar_one_or_none()


async def credit_once(
    session: AsyncSession,
    *,
    account_id: str,
    amount: int,
    reason_kind: str,
    idem_key: str,
    **kw: Any,
) -> Entry | None:
    """An `earn` entry unless `idem_key` was credited before (then None: nothing changes)."""
    if amount <= 0 or await entry_by_key(session, idem_key) is not None:
        return None
    entry = await post(
        session,
        account_id=account_id,
        kind="earn",
        amount=amount,
        reason_kind=reason_kind,
        idem_key=idem_key,
        **kw,
    )
    await emit(session, entry)
    return entry


async def emit(session: AsyncSession, entry: Entry, *, item_name: str = "") -> None:
    """Queue the entry's event in the same transaction (resident accounts only)."""
    if entry.account_id.startswith("group:"):
        return
    common: dict[str, Any] = {
        "event_id": deterministic_event_id("points", entry.id),
        "account_id": entry.account_id,
        "amount": abs(entry.amount) or abs(entry.held_delta),
        "balance": entry.balance_after,
        "entry_id": entry.id,
        "reason_kind": entry.reason_kind,
    }
    if entry.kind == "reverse":
        await add_event(session, outbox, PointsReversed(**common, reason=entry.reason))
    elif entry.kind in CREDIT_KINDS and entry.amount > 0:
        await add_event(session, outbox, PointsAwarded(**common))
    elif entry.kind == "redeem":
        await add_event(session, outbox, PointsRedeemed(**common, item_name=item_name))


async def reverse(
    session: AsyncSession, *, entry_id: str, reason: str, actor_id: str, idem_key: str
) -> Entry:
    if not reason.strip():
        raise Refused("a reversal needs a reason", field="reason")
    original = await session.get(Entry, entry_id)
    if original is None:
        raise NotFound(f"no entry {entry_id}", field="entry_id")
    done = await entry_by_key(session, idem_key)
    if done is not None:
        if (done.reverses_id, done.reason) != (entry_id, reason.strip()):
            raise IdempotencyMismatch(
                "idempotency key used for another entry", field="idempotency_key"
            )
        return done
    if original.kind not in REVERSIBLE_KINDS:
        raise Refused(f"a {original.kind} entry cannot be reversed", field="entry_id")
    already = (
        await session.execute(select(Entry.id).where(Entry.reverses_id == entry_id))
    ).scalar_one_or_none()
    if already is not None:
        raise Refused("this entry was already reversed", field="entry_id")
    try:
        entry = await post(
            session,
            account_id=original.account_id,
            kind="reverse",
            amount=-original.amount,
            reason_kind=original.reason_kind,
            reason=reason.strip(),
            ref=original.ref,
            actor_id=actor_id,
            reverses_id=entry_id,
            idem_key=idem_key,
        )
    except InsufficientPoints:
        raise InsufficientPoints(
            "the points were already spent; the balance is too low to reverse", field="entry_id"
        ) from None
    await emit(session, entry)
    return entry
