"""Internal HTTP routes (/internal/v1, internal token): thin adapters over the domain modules.

Only the portal calls these; it decides who the actor is and passes the ids it has checked.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, status

from services.points import (
    chain,
    expiry,
    figures,
    ledger,
    rule_versions,
    service,
    supermarket,
    volunteers,
)
from services.points.deps import FileRulesDep, RulesDep, RulesInForceDep, RuntimeDep, SessionDep
from services.points.rules import Rules
from shared.contracts.points import (
    AccountRead,
    AdjustCreate,
    ChainRead,
    CodeRead,
    DailyList,
    EntryRead,
    FiguresRead,
    GroupRead,
    HandOver,
    HistoryRead,
    ItemCreate,
    ItemRead,
    MaintenanceRead,
    MemberCreate,
    PatrolCosign,
    PatrolCreate,
    PatrolRead,
    RedemptionCreate,
    RedemptionRead,
    ReverseCreate,
    StockUpdate,
    TipCreate,
    TipRate,
    TipRead,
)
from shared.db import transaction

router = APIRouter()
CREATED = status.HTTP_201_CREATED


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, session: SessionDep) -> AccountRead:
    return await service.get_account(session, account_id)


@router.get("/accounts/{account_id}/history")
async def get_history(
    account_id: str, session: SessionDep, limit: int = Query(100, ge=1, le=1000)
) -> HistoryRead:
    return await service.history(session, account_id, limit=limit)


@router.post("/accounts/{account_id}/codes", status_code=CREATED)
async def issue_code(account_id: str, rt: RuntimeDep, rules: RulesDep) -> CodeRead:
    async with transaction(rt.factory) as s:
        return await supermarket.issue_code(s, account_id=account_id, rules=rules)


@router.post("/accounts/{account_id}/adjustments", status_code=CREATED)
async def adjust(account_id: str, body: AdjustCreate, rt: RuntimeDep) -> EntryRead:
    async with transaction(rt.factory) as s:
        out = await service.adjust(
            s,
            account_id=account_id,
            amount=body.amount,
            reason=body.reason,
            actor_id=body.actor_id,
            key=body.idempotency_key,
        )
    rt.wake_relay()
    return out


@router.post("/entries/{entry_id}/reverse", status_code=CREATED)
async def reverse(entry_id: str, body: ReverseCreate, rt: RuntimeDep) -> EntryRead:
    async with transaction(rt.factory) as s:
        out = await service.reverse(
            s,
            entry_id=entry_id,
            reason=body.reason,
            actor_id=body.actor_id,
            key=body.idempotency_key,
        )
    rt.wake_relay()
    return out


@router.get("/codes/{code}")
async def account_for_code(code: str, session: SessionDep) -> AccountRead:
    return await supermarket.account_for_code(session, code)


@router.get("/items")
async def list_items(session: SessionDep, village_code: str | None = None) -> list[ItemRead]:
    return await supermarket.list_items(session, village_code=village_code)


@router.post("/items", status_code=CREATED)
async def create_item(body: ItemCreate, rt: RuntimeDep) -> ItemRead:
    async with transaction(rt.factory) as s:
        return await supermarket.create_item(s, body)


@router.post("/items/{item_id}/stock")
async def change_stock(
    item_id: str, body: StockUpdate, rt: RuntimeDep, village_code: str | None = None
) -> ItemRead:
    async with transaction(rt.factory) as s:
        return await supermarket.change_stock(
            s, item_id=item_id, delta=body.delta, village_code=village_code
        )


@router.post("/redemptions", status_code=CREATED)
async def redeem(
    body: RedemptionCreate, rt: RuntimeDep, rules: RulesDep, clerk_village: str | None = None
) -> RedemptionRead:
    async with transaction(rt.factory) as s:
        out = await supermarket.redeem(s, body, rules, clerk_village=clerk_village)
    rt.wake_relay()
    return out


@router.get("/redemptions")
async def daily_list(session: SessionDep, clerk_id: str, day: date) -> DailyList:
    return await supermarket.daily_list(session, clerk_id=clerk_id, day=day.isoformat())


@router.get("/redemptions/{redemption_id}")
async def get_redemption(redemption_id: str, session: SessionDep) -> RedemptionRead:
    return await supermarket.get_redemption(session, redemption_id)


@router.post("/redemptions/{redemption_id}/handover")
async def hand_over(redemption_id: str, body: HandOver, rt: RuntimeDep) -> RedemptionRead:
    async with transaction(rt.factory) as s:
        out = await supermarket.hand_over(s, redemption_id=redemption_id, clerk_id=body.clerk_id)
    rt.wake_relay()
    return out


@router.get("/groups")
async def list_groups(session: SessionDep, leader_id: str | None = None) -> list[GroupRead]:
    return await volunteers.list_groups(session, leader_id=leader_id)


@router.post("/groups/{group_code}/members", status_code=CREATED)
async def add_member(group_code: str, body: MemberCreate, rt: RuntimeDep) -> GroupRead:
    async with transaction(rt.factory) as s:
        return await volunteers.add_member(
            s,
            group_code=group_code,
            leader_id=body.leader_id,
            user_id=body.user_id,
            display_name=body.display_name,
        )


@router.post("/patrols", status_code=CREATED)
async def log_patrol(body: PatrolCreate, rt: RuntimeDep, rules: RulesDep) -> PatrolRead:
    async with transaction(rt.factory) as s:
        return await volunteers.log_patrol(s, body, rules)


@router.get("/patrols")
async def list_patrols(
    session: SessionDep,
    rules: RulesDep,
    status: str | None = Query(None, pattern="^(pending|cosigned)$"),
    group_code: list[str] | None = Query(None),
    station_code: str | None = None,
) -> list[PatrolRead]:
    return await volunteers.list_patrols(
        session, rules, status=status, group_codes=group_code, station_code=station_code
    )


@router.get("/patrols/{patrol_id}")
async def get_patrol(patrol_id: str, session: SessionDep, rules: RulesDep) -> PatrolRead:
    return await volunteers.get_patrol(session, patrol_id, rules)


@router.post("/patrols/{patrol_id}/cosign")
async def cosign_patrol(
    patrol_id: str, body: PatrolCosign, rt: RuntimeDep, kept: RulesInForceDep
) -> PatrolRead:
    async with transaction(rt.factory) as s:
        out = await volunteers.cosign_patrol(
            s,
            patrol_id=patrol_id,
            officer_id=body.officer_id,
            rules=await kept.get(s),
            station_code=body.station_code,
        )
    rt.wake_relay()
    return out


@router.post("/tips", status_code=CREATED)
async def submit_tip(body: TipCreate, rt: RuntimeDep) -> TipRead:
    async with transaction(rt.factory) as s:
        return await service.submit_tip(s, body)


@router.get("/tips")
async def list_tips(
    session: SessionDep,
    status: str | None = Query(None, pattern="^(submitted|rated)$"),
    tipster_id: str | None = None,
    station_code: str | None = None,
) -> list[TipRead]:
    return await service.list_tips(
        session, status=status, tipster_id=tipster_id, station_code=station_code
    )


@router.post("/tips/{tip_id}/rate")
async def rate_tip(tip_id: str, body: TipRate, rt: RuntimeDep, kept: RulesInForceDep) -> TipRead:
    async with transaction(rt.factory) as s:
        out = await service.rate_tip(
            s,
            tip_id=tip_id,
            officer_id=body.officer_id,
            rating=body.rating,
            rules=await kept.get(s),
            station_code=body.station_code,
        )
    rt.wake_relay()
    return out


@router.post("/maintenance")
async def run_maintenance(rt: RuntimeDep, rules: FileRulesDep) -> MaintenanceRead:
    out = await maintain(rt, rules)
    return out


async def maintain(rt: RuntimeDep, file_rules: Rules) -> MaintenanceRead:
    """Points past their version's period expire; lapsed holds are released (each hold's end
    was fixed when it was made)."""
    now = ledger.utcnow()
    async with transaction(rt.factory) as s:
        periods = await rule_versions.expiry_periods(s, file_rules)
        expired = await expiry.expire_due(s, now=now, periods=periods)
        voided = await supermarket.void_expired_holds(s, now=now)
    return MaintenanceRead(
        expired_entries=len(expired),
        expired_points=-sum(e.amount for e in expired),
        voided_holds=voided,
    )


@router.get("/chain/verify")
async def verify_chain(session: SessionDep) -> ChainRead:
    report = await chain.verify_chain(session)
    return ChainRead(
        ok=report.ok, accounts=report.accounts, entries=report.entries, problems=report.problems
    )


@router.get("/figures")
async def get_figures(session: SessionDep) -> FiguresRead:
    return await figures.figures(session)
