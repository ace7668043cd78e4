"""Domain logic of the disputes service (no FastAPI, no aio-pika here): reads of the case
tables the workflow's activities write, figures and the business side of the stuck board."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import (
    AuditEntry,
    Case,
    CaseHousehold,
    ColourChangeRow,
    Officer,
    Party,
    Station,
    Task,
    TimelineEntry,
    Village,
)
from shared import errors
from shared.contracts.disputes_read import (
    CaseRead,
    CaseSummary,
    ColourChangeRead,
    Durations,
    EarlierCase,
    Figures,
    HouseholdRead,
    OfficerRead,
    PartyRead,
    TimelineRead,
    VillageRead,
)
from shared.stages import OPEN_STAGES
from shared.tasks import TaskPage, TaskRead
from workflows.disputes.rules_of_action import STAGES


class NotFound(errors.NotFound):
    pass


def _summary(c: Case) -> CaseSummary:
    return CaseSummary(
        case_id=c.case_id,
        case_no=c.case_no,
        category=c.category,
        village_code=c.village_code,
        station_code=c.station_code,
        stage=c.stage,
        colour=c.colour,
        assignee_id=c.assignee_id,
        reported_at=c.reported_at,
        stage_deadline=c.stage_deadline,
    )


def _aware(t: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


async def list_tasks(
    session: AsyncSession,
    *,
    now: datetime,
    assignee: str | None = None,
    station: str | None = None,
    colour: str | None = None,
    village: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> TaskPage:
    conds: list[ColumnElement[bool]] = [Task.closed_at.is_(None)]
    if assignee:
        conds.append(Task.assignee_id == assignee)
    if station:
        conds.append(Task.station_code == station)
    if colour:
        conds.append(Task.colour == colour)
    if village:
        conds.append(Task.village_code == village)
    counts = {
        k: int(n)
        for k, n in await session.execute(
            select(Task.kind, func.count()).where(*conds).group_by(Task.kind)
        )
    }
    if kind:
        conds.append(Task.kind == kind)
    rows = (
        await session.execute(
            select(Task).where(*conds).order_by(Task.due_at, Task.task_id).limit(limit)
        )
    ).scalars()
    items = [
        TaskRead(
            task_id=t.task_id,
            kind=t.kind,
            title=t.title,
            ref_id=t.case_id,
            assignee_id=t.assignee_id,
            colour=t.colour,
            village_code=t.village_code,
            station_code=t.station_code,
            due_at=_aware(t.due_at) if t.due_at else None,
            overdue=t.due_at is not None and _aware(t.due_at) < now,
        )
        for t in rows
    ]
    # overdue first, then by due time (already ordered by due time)
    items.sort(key=lambda t: not t.overdue)
    return TaskPage(items=items, counts=counts)


async def case_detail(session: AsyncSession, case_id: str) -> CaseRead:
    c = await session.get(Case, case_id)
    if c is None:
        raise NotFound(f"case {case_id} not found")
    parties = (
        await session.execute(
            select(Party).where(Party.case_id == case_id).order_by(Party.position)
        )
    ).scalars()
    households = list(
        (
            await session.execute(select(CaseHousehold).where(CaseHousehold.case_id == case_id))
        ).scalars()
    )
    earlier: dict[str, list[EarlierCase]] = defaultdict(list)
    if households:
        rows = await session.execute(
            select(CaseHousehold.household_id, Case)
            .join(Case, Case.case_id == CaseHousehold.case_id)
            .where(
                CaseHousehold.household_id.in_([h.household_id for h in households]),
                Case.case_id != case_id,
            )
            .order_by(Case.reported_at.desc())
        )
        for hh, other in rows:
            earlier[hh].append(
                EarlierCase(
                    case_id=other.case_id,
                    case_no=other.case_no,
                    colour=other.colour,
                    stage=other.stage,
                    reported_at=other.reported_at,
                )
            )
    colours = (
        await session.execute(
            select(ColourChangeRow)
            .where(ColourChangeRow.case_id == case_id)
            .order_by(ColourChangeRow.seq)
        )
    ).scalars()
    timeline = (
        await session.execute(
            select(TimelineEntry)
            .where(TimelineEntry.case_id == case_id)
            .order_by(TimelineEntry.at, TimelineEntry.seq)
        )
    ).scalars()
    open_tasks = (
        await session.execute(
            select(Task.task_id).where(Task.case_id == case_id, Task.closed_at.is_(None))
        )
    ).scalars()
    return CaseRead(
        **_summary(c).model_dump(),
        description=c.description,
        township=c.township,
        reporter_kind=c.reporter_kind,
        reporter_id=c.reporter_id,
        rules_fired=c.rules_fired,
        risk=c.risk,
        settlement=c.settlement,
        closed_at=c.closed_at,
        parties=[
            PartyRead(
                name=p.name, phone=p.phone, id_number=p.id_number, role=p.role, user_id=p.user_id
            )
            for p in parties
        ],
        households=[
            HouseholdRead(
                household_id=h.household_id, name=h.name, earlier_cases=earlier[h.household_id]
            )
            for h in households
        ],
        colour_history=[
            ColourChangeRead(
                at=x.at,
                previous=x.previous,
                colour=x.colour,
                rules_fired=x.rules_fired,
                reason=x.reason,
                by=x.by,
            )
            for x in colours
        ],
        timeline=[
            TimelineRead(
                seq=t.seq,
                at=t.at,
                kind=t.kind,
                actor_id=t.actor_id,
                stage=t.stage,
                colour=t.colour,
                assignee_id=t.assignee_id,
                note=t.note,
                data=t.data,
            )
            for t in timeline
        ],
        open_tasks=list(open_tasks),
        allowed_actions=[a for a, stages in STAGES.items() if c.stage in stages],
    )


async def list_cases(
    session: AsyncSession,
    *,
    resident_id: str | None = None,
    station: str | None = None,
    limit: int = 200,
) -> list[CaseSummary]:
    stmt = select(Case).order_by(Case.reported_at.desc()).limit(limit)
    if resident_id:
        party_cases = select(Party.case_id).where(Party.user_id == resident_id)
        stmt = stmt.where((Case.case_id.in_(party_cases)) | (Case.reporter_id == resident_id))
    if station:
        stmt = stmt.where(Case.station_code == station)
    return [_summary(c) for c in (await session.execute(stmt)).scalars()]


async def villages(session: AsyncSession, station: str | None = None) -> list[VillageRead]:
    stmt = select(Village).where(Village.active).order_by(Village.code)
    if station:
        stmt = stmt.where(Village.station_code == station)
    return [
        VillageRead(
            code=v.code,
            name=v.name,
            township=v.township,
            station_code=v.station_code,
            police_room_code=v.police_room_code,
        )
        for v in (await session.execute(stmt)).scalars()
    ]


async def station_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(select(Station.code, Station.name).where(Station.code.in_(codes)))
    return {code: name for code, name in rows}


async def officers(session: AsyncSession, station: str | None = None) -> list[OfficerRead]:
    load = (
        select(Case.assignee_id, func.count().label("n"))
        .where(Case.stage.in_(OPEN_STAGES))
        .group_by(Case.assignee_id)
        .subquery()
    )
    stmt = (
        select(Officer, func.coalesce(load.c.n, 0))
        .outerjoin(load, load.c.assignee_id == Officer.user_id)
        .where(Officer.active)
        .order_by(Officer.user_id)
    )
    if station:
        stmt = stmt.where(Officer.station_code == station)
    return [
        OfficerRead(user_id=o.user_id, name=o.name, station_code=o.station_code, open_cases=int(n))
        for o, n in await session.execute(stmt)
    ]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return round(values[k], 2)


async def figures(session: AsyncSession) -> Figures:
    open_by: dict[str, dict[str, int]] = defaultdict(dict)
    for township, colour, n in await session.execute(
        select(Case.township, Case.colour, func.count())
        .where(Case.stage.in_(OPEN_STAGES))
        .group_by(Case.township, Case.colour)
    ):
        open_by[colour][township] = int(n)
    # stage durations from consecutive timeline rows whose stage differs
    rows = await session.execute(
        select(TimelineEntry.case_id, TimelineEntry.at, TimelineEntry.stage).order_by(
            TimelineEntry.case_id, TimelineEntry.at, TimelineEntry.seq
        )
    )
    spans: dict[str, list[float]] = defaultdict(list)
    current: tuple[str, datetime, str] | None = None
    for case_id, at, stage in rows:
        if current is None or current[0] != case_id:
            current = (case_id, at, stage)
            continue
        if stage != current[2]:
            spans[current[2]].append((_aware(at) - _aware(current[1])).total_seconds() / 3600)
            current = (case_id, at, stage)
    durations = {
        s: Durations(median_hours=_percentile(v, 0.5), p90_hours=_percentile(v, 0.9))
        for s, v in spans.items()
    }
    settled: dict[str, int] = defaultdict(int)
    for (at,) in await session.execute(
        select(TimelineEntry.at).where(TimelineEntry.kind == "closed")
    ):
        settled[_aware(at).strftime("%Y-%m")] += 1
    breaches: dict[str, int] = defaultdict(int)
    for station, n in await session.execute(
        select(Case.station_code, func.count())
        .join(TimelineEntry, TimelineEntry.case_id == Case.case_id)
        .where(TimelineEntry.kind == "escalated", TimelineEntry.actor_id == "system")
        .group_by(Case.station_code)
    ):
        breaches[station] = int(n)
    reported: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, colour in await session.execute(select(Case.reported_at, Case.colour)):
        reported[_aware(at).strftime("%Y-%m")][colour] += 1
    return Figures(
        reported_per_month_colour={m: dict(c) for m, c in sorted(reported.items())},
        open_by_colour_township=dict(open_by),
        stage_durations=durations,
        settled_per_month=dict(settled),
        sla_breaches_per_station=dict(breaches),
    )


async def audit(
    session: AsyncSession, *, case_id: str, actor_id: str, action: str, reason: str, at: datetime
) -> None:
    session.add(
        AuditEntry(
            key=f"{case_id}:{action}:{at.isoformat()}",
            case_id=case_id,
            at=at,
            actor_id=actor_id,
            action=action,
            reason=reason,
        )
    )


async def village_exists(session: AsyncSession, code: str) -> bool:
    """Known and not closed: a new case may name it."""
    village = await session.get(Village, code)
    return village is not None and village.active
