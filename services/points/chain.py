"""Verification of the per-account hash chain: detects an edited amount, a removed row and a
cached balance that no longer matches its entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.points.ledger import entry_hash
from services.points.models import GENESIS_HASH, Account, Entry


@dataclass
class ChainReport:
    ok: bool = True
    accounts: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)


async def verify_chain(session: AsyncSession) -> ChainReport:
    report = ChainReport()
    accounts = {a.id: a for a in (await session.execute(select(Account))).scalars()}
    state: dict[str, tuple[int, str, int, int]] = {}  # version, hash, balance, held
    result = await session.stream(select(Entry).order_by(Entry.account_id, Entry.version))
    async for entry in result.scalars():
        report.entries += 1
        version, prev, balance, held = state.get(entry.account_id, (0, GENESIS_HASH, 0, 0))
        values = {c.key: getattr(entry, c.key) for c in Entry.__table__.columns}
        if entry.version != version + 1 or entry.prev_hash != prev:
            report.problems.append(f"{entry.account_id}: entry {entry.id} breaks the chain")
        if entry_hash(values) != entry.hash:
            report.problems.append(f"{entry.account_id}: entry {entry.id} was altered")
        balance += entry.amount
        held += entry.held_delta
        if balance != entry.balance_after:
            report.problems.append(f"{entry.account_id}: entry {entry.id} balance does not add up")
        state[entry.account_id] = (entry.version, entry.hash, balance, held)
    for account_id, account in accounts.items():
        report.accounts += 1
        version, head, balance, held = state.get(account_id, (0, GENESIS_HASH, 0, 0))
        if (account.version, account.head_hash) != (version, head):
            report.problems.append(f"{account_id}: head of chain does not match the entries")
        if (account.balance, account.held) != (balance, held):
            report.problems.append(f"{account_id}: cached balance does not match the entries")
    report.ok = not report.problems
    return report
