"""Crediting many helpers at once: the dispute events of one consumed batch in a fixed number
of statements, with the same effects as `ledger.credit_once` applied one by one.

Same rules as the one-by-one path: an idempotency key credits once (keys already in the
ledger, or twice in the batch, are skipped); every entry chains to its account's previous
entry by hash, in the batch's order; the account rows are locked (PostgreSQL; SQLite
serialises writers) before their heads are read, so a concurrent `post()` waits; each resident
entry queues its `points.awarded` event in the same transaction. Credits only add, so the
balance stays >= 0 without the conditional UPDATE that debits need.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.ledger import entry_hash, utcnow
from services.points.models import GENESIS_HASH, Account, Entry, outbox
from services.points.rules import Rules
from shared.messaging.contracts.disputes import DisputeClosed, DisputeFollowUpRecorded
from shared.messaging.contracts.points import PointsAwarded
from shared.messaging.events import deterministic_event_id
from shared.messaging.outbox import event_row, insert_ignore_many

CreditEvent = DisputeClosed | DisputeFollowUpRecorded


@dataclass(frozen=True)
class Credit:
    account_id: str
    amount: int
    reason_kind: str
    reason: str
    ref: str
    idem_key: str
    village_code: str | None
    rules_version: int


def _helper_credits(event: CreditEvent, rules: Rules) -> list[Credit]:
    if isinstance(event, DisputeClosed):
        amount, kind = rules.mediation_help, "mediation"
        reason = f"helped settle case {event.case_no}"
        key = f"dispute.closed:{event.case_id}"
    else:
        amount, kind = rules.follow_up_help, "follow_up"
        reason = f"helped with a follow-up of case {event.case_no}"
        key = f"dispute.follow_up:{event.event_id}"
    return [
        Credit(
            h, amount, kind, reason, event.case_id, f"{key}:{h}", event.village_code, rules.version
        )
        for h in dict.fromkeys(event.helper_ids)
    ]


async def credits_of(
    session: AsyncSession, events: Sequence[CreditEvent], rules: Rules
) -> list[Credit]:
    """Every credit the events give, in order: a closed case's helpers, then its reporter
    when the reporter is a known resident (one query for all the batch's reporters)."""
    reporters = {e.reporter_id for e in events if isinstance(e, DisputeClosed) and e.reporter_id}
    residents: set[str] = set()
    if reporters:
        q = select(Account.id).where(Account.id.in_(reporters), Account.role == "resident")
        residents = set((await session.scalars(q)).all())
    out: list[Credit] = []
    for e in events:
        out += _helper_credits(e, rules)
        if isinstance(e, DisputeClosed) and e.reporter_id in residents:
            reason = f"report that led to case {e.case_no}"
            key = f"dispute.screening:{e.case_id}:{e.reporter_id}"
            amount = rules.screening_report
            credit = Credit(
                e.reporter_id, amount, "screening", reason, e.case_id, key, None, rules.version
            )
            out.append(credit)
    return out


async def apply_events(session: AsyncSession, events: Sequence[CreditEvent], rules: Rules) -> int:
    """Credit what `events` give; returns the number of entries written."""
    if not events:
        return 0
    return await credit_many(session, await credits_of(session, events, rules))


async def credit_many(session: AsyncSession, credits: Sequence[Credit]) -> int:
    wanted = {c.idem_key: c for c in credits if c.amount > 0}  # first of a repeated key wins
    if not wanted:
        return 0
    villages: dict[str, str | None] = {}
    for c in credits:
        villages.setdefault(c.account_id, c.village_code)
    new: dict[str, object] = {"kind": "resident", "display_name": "", "balance": 0, "held": 0}
    new |= {"version": 0, "head_hash": GENESIS_HASH}
    rows: list[dict[str, object]] = [
        {"id": a, "village_code": v, **new} for a, v in villages.items()
    ]
    await insert_ignore_many(session, Account.__table__, rows, ["id"])  # type: ignore[arg-type]
    done = set(
        (await session.scalars(select(Entry.idem_key).where(Entry.idem_key.in_(wanted)))).all()
    )
    todo = [c for k, c in wanted.items() if k not in done]
    if not todo:
        return 0
    ids = sorted({c.account_id for c in todo})
    heads = {
        r.id: [r.balance, r.version, r.head_hash]
        for r in await session.execute(
            select(Account.id, Account.balance, Account.version, Account.head_hash)
            .where(Account.id.in_(ids))
            .order_by(Account.id)
            .with_for_update()
        )
    }
    now = utcnow()
    entries: list[dict[str, Any]] = []
    for c in todo:
        head = heads[c.account_id]
        head[0], head[1] = head[0] + c.amount, head[1] + 1
        values: dict[str, Any] = {
            "id": str(uuid.uuid4()), "account_id": c.account_id, "version": head[1],
            "kind": "earn", "amount": c.amount, "held_delta": 0, "balance_after": head[0],
            "reason_kind": c.reason_kind, "reason": c.reason, "ref": c.ref, "reverses_id": None,
            "actor_id": None, "idem_key": c.idem_key, "created_at": now, "prev_hash": head[2],
            "rules_version": c.rules_version,
        }  # fmt: skip
        values["hash"] = head[2] = entry_hash(values)
        entries.append(values)
    await session.execute(insert(cast(Table, Entry.__table__)), entries)
    table = cast(Table, Account.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            balance=bindparam("b_balance"),
            version=bindparam("b_version"),
            head_hash=bindparam("b_hash"),
        ),
        [
            {"b_id": a, "b_balance": h[0], "b_version": h[1], "b_hash": h[2]}
            for a, h in heads.items()
        ],
    )
    events = [
        event_row(
            PointsAwarded(
                event_id=deterministic_event_id("points", e["id"]),
                account_id=e["account_id"],
                amount=e["amount"],
                balance=e["balance_after"],
                entry_id=e["id"],
                reason_kind=e["reason_kind"],
            )
        )
        for e in entries
        if not e["account_id"].startswith("group:")
    ]
    await insert_ignore_many(session, outbox, events, ["message_id"])
    return len(entries)
