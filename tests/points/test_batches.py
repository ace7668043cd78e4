"""The points consumer's batches: one transaction for many deliveries, the same effects as one
by one, and a redelivered batch (the broker gives messages back when an ack was lost after the
commit) or a message twice in one batch applies once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.points import chain, consumer
from services.points.models import Account, Entry, inbox, outbox
from services.points.rule_versions import RulesInForce
from services.points.rules import Rules
from shared.config import PointsSettings
from shared.messaging.broker import Delivery
from shared.messaging.contracts.disputes import DisputeClosed, DisputeFollowUpRecorded
from shared.messaging.contracts.users import UserUpserted
from shared.messaging.events import Event
from shared.runtime import ServiceRuntime

Factory = async_sessionmaker[AsyncSession]


def runtime(factory: Factory, db_url: str) -> ServiceRuntime:
    rt = ServiceRuntime("points", PointsSettings(database_url=db_url))
    rt.factory = factory  # the database only: no broker, no relay (wake_relay does nothing)
    return rt


def delivered(event: Event, message_id: str | None = None) -> tuple[Event, Delivery]:
    mid = message_id or event.event_id
    return event, Delivery(
        message_id=mid, routing_key=event.routing_key, redelivered=False, retries=0
    )


def closed(case: str, helpers: list[str], reporter: str | None = None) -> DisputeClosed:
    return DisputeClosed(
        case_id=case,
        case_no=f"YZ-{case}",
        colour="green",
        stage="closed",
        village_code="V1",
        settlement="调解成功",
        helper_ids=helpers,
        reporter_id=reporter,
    )


async def state(factory: Factory) -> dict[str, Any]:
    async with factory() as s:
        balances = {r.id: r.balance for r in await s.execute(select(Account.id, Account.balance))}
        return {
            "balances": balances,
            "entries": await s.scalar(select(func.count()).select_from(Entry)),
            "events": await s.scalar(select(func.count()).select_from(outbox)),
            "inbox": await s.scalar(select(func.count()).select_from(inbox)),
            "chain_ok": (await chain.verify_chain(s)).ok,
        }


async def test_a_batch_credits_like_one_by_one_and_a_redelivered_batch_changes_nothing(
    factory: Factory, rules: Rules, db_url: str
) -> None:
    rt = runtime(factory, db_url)
    e1 = closed("c1", ["res-1", "res-2", "res-1"], reporter="res-7")
    e2 = closed("c2", ["res-2"])
    follow = DisputeFollowUpRecorded(
        case_id="c1",
        case_no="YZ-c1",
        colour="green",
        stage="follow_up",
        village_code="V1",
        outcome="visited",
        helper_ids=["res-3"],
    )
    resident = UserUpserted(user_id="res-7", role="resident", display_name="王", village_code="V1")
    # the reporter becomes a known resident half-way through the batch: the credit after it
    # sees the role, in the batch's order; e1 arrives twice under the same message id
    batch = [
        delivered(e2),
        delivered(resident),
        delivered(e1),
        delivered(follow),
        delivered(e1),
    ]
    await consumer.handle_batch(rt, RulesInForce(rules), batch)
    first = await state(factory)
    m, f, r = rules.mediation_help, rules.follow_up_help, rules.screening_report
    assert first["balances"] == {"res-1": m, "res-2": 2 * m, "res-3": f, "res-7": r}
    assert first["entries"] == 5 and first["events"] == 5 and first["inbox"] == 4
    assert first["chain_ok"] is True

    await consumer.handle_batch(rt, RulesInForce(rules), batch)  # the whole batch redelivered
    assert await state(factory) == first

    e3 = closed("c3", ["res-1"])
    await consumer.handle_batch(
        rt, RulesInForce(rules), [delivered(e2), delivered(e3)]
    )  # old and new mixed
    after = await state(factory)
    assert after["balances"] == {**first["balances"], "res-1": 2 * m}
    assert after["entries"] == 6 and after["events"] == 6 and after["inbox"] == 5


async def test_a_key_credited_one_by_one_is_not_credited_again_by_a_batch(
    factory: Factory, rules: Rules, db_url: str
) -> None:
    rt = runtime(factory, db_url)
    e1 = closed("c1", ["res-1"])
    await consumer.handle(rt, RulesInForce(rules), *delivered(e1))
    # the same case closed again under another message id (a replayed outbox row): the ledger's
    # idempotency key still credits once, whether the second copy comes alone or in a batch
    again = e1.model_copy(update={"event_id": "another-id"})
    await consumer.handle_batch(
        rt, RulesInForce(rules), [delivered(again), delivered(closed("c2", ["res-1"]))]
    )
    s = await state(factory)
    assert s["balances"] == {"res-1": 2 * rules.mediation_help}
    assert s["entries"] == 2 and s["chain_ok"] is True
