"""Activities of the dispute lifecycle: all I/O of the workflow, against the disputes database.

Each write is idempotent: a retried activity (worker killed after commit) writes nothing twice
(timeline rows keyed by (case, seq), deterministic event ids, tasks keyed by task id). A
transition's writes are in `transitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from shared.db import transaction
from shared.messaging.outbox import insert_ignore
from shared.stages import OPEN_STAGES
from workflows.disputes import transitions
from workflows.disputes.outbound import PartnerChannel
from workflows.disputes.rule_versions import RulesSource
from workflows.disputes.screening import RuleSet, grade
from workflows.disputes.tables import (
    Case,
    CaseHousehold,
    CaseNumber,
    Officer,
    Party,
    RoomOfficer,
    Station,
    Village,
)
from workflows.disputes.types import (
    ConfigRequest,
    LifecycleConfig,
    Picked,
    PickInput,
    Registered,
    RegisterInput,
    Screened,
    ScreenInput,
    Transition,
)


class UnknownVillage(Exception):
    pass


@contextmanager
def concise_db_errors() -> Iterator[None]:
    """A database error becomes a short retryable failure the stuck board can show."""
    try:
        yield
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0][:300]
        raise ApplicationError(f"database: {first}", type="DatabaseError") from None


async def next_case_no(session: AsyncSession, year: int) -> str:
    """The next number of the year, taken in the caller's transaction (a rollback gives it back)."""
    table = CaseNumber.metadata.tables[CaseNumber.__tablename__]
    await insert_ignore(session, table, {"year": year, "last": 0}, ["year"])
    n = (
        await session.execute(
            update(CaseNumber)
            .where(CaseNumber.year == year)
            .values(last=CaseNumber.last + 1)
            .returning(CaseNumber.last)
        )
    ).scalar_one()
    return f"FQ{year}-{n:06d}"


async def household_cases(
    session: AsyncSession, case_id: str, household_ids: list[str], since: object
) -> int:
    if not household_ids:
        return 0
    stmt = (
        select(func.count(func.distinct(CaseHousehold.case_id)))
        .join(Case, Case.case_id == CaseHousehold.case_id)
        .where(
            CaseHousehold.household_id.in_(household_ids),
            CaseHousehold.case_id != case_id,
            Case.reported_at >= since,
        )
    )
    return int((await session.execute(stmt)).scalar_one())


class DisputeActivities:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        rules: RuleSet,
        config: LifecycleConfig,
    ) -> None:
        self.factory = factory
        self.rules = rules
        self.rules_source = RulesSource(rules)
        self.config = config

    @activity.defn(name="dispute_config")
    async def load_config(self, req: ConfigRequest) -> LifecycleConfig:
        return self.config

    @activity.defn(name="dispute_register")
    async def register(self, req: RegisterInput) -> Registered:
        with concise_db_errors():
            return await self._register(req)

    async def _register(self, req: RegisterInput) -> Registered:
        intake = req.intake
        assert intake.reported_at is not None
        async with transaction(self.factory) as s:
            row = (
                await s.execute(
                    select(Village, Station)
                    .join(Station, Station.code == Village.station_code)
                    .where(Village.code == intake.village_code)
                )
            ).first()
            if row is None:
                raise UnknownVillage(intake.village_code)
            village, station = row
            since = intake.reported_at - timedelta(days=self.config.household_history_days)
            hh_ids = [h.household_id for h in intake.households]
            existing = await s.get(Case, intake.case_id)
            count = await household_cases(s, intake.case_id, hh_ids, since)
            rules = await self.rules_source.for_new_case(s, intake.case_id)
            g = grade(rules, intake.risk, count)
            if existing is not None:
                case_no = existing.case_no
            else:
                case_no = await next_case_no(s, intake.reported_at.year)
                s.add(
                    Case(
                        case_id=intake.case_id,
                        case_no=case_no,
                        category=intake.category,
                        description=intake.description,
                        village_code=village.code,
                        station_code=station.code,
                        township=village.township,
                        reporter_kind=intake.reporter_kind,
                        reporter_id=intake.reporter_id,
                        reported_at=intake.reported_at,
                        risk=intake.risk.model_dump(),
                        stage="screening",
                        colour=g.colour,
                        rules_fired=g.rules_fired,
                        assignee_id=None,
                        stage_since=intake.reported_at,
                        stage_deadline=None,
                        settlement=None,
                        closed_at=None,
                        updated_at=intake.reported_at,
                    )
                )
                await s.flush()
                for i, p in enumerate(intake.parties):
                    s.add(
                        Party(
                            case_id=intake.case_id,
                            position=i,
                            name=p.name,
                            phone=p.phone,
                            id_number=p.id_number,
                            role=p.role,
                            user_id=p.user_id,
                        )
                    )
                for h in {h.household_id: h for h in intake.households}.values():
                    s.add(
                        CaseHousehold(
                            case_id=intake.case_id, household_id=h.household_id, name=h.name
                        )
                    )
        return Registered(
            case_no=case_no,
            station_code=station.code,
            chief_id=station.chief_id,
            colour=g.colour,
            rules_fired=g.rules_fired,
            household_cases=count,
        )

    @activity.defn(name="dispute_screen")
    async def screen(self, req: ScreenInput) -> Screened:
        with concise_db_errors():
            return await self._screen(req)

    async def _screen(self, req: ScreenInput) -> Screened:
        since = req.at - timedelta(days=self.config.household_history_days)
        async with self.factory() as s:
            count = await household_cases(s, req.case_id, req.household_ids, since)
            rules = await self.rules_source.for_case(s, req.case_id)
        g = grade(rules, req.risk, count)
        return Screened(colour=g.colour, rules_fired=g.rules_fired, household_cases=count)

    @activity.defn(name="dispute_pick_officer")
    async def pick_officer(self, req: PickInput) -> Picked:
        with concise_db_errors():
            return await self._pick_officer(req)

    async def _pick_officer(self, req: PickInput) -> Picked:
        """Least loaded eligible officer: the village's police room first, then the station."""
        weights = self.config.load_weights
        async with self.factory() as s:
            village = await s.get(Village, req.village_code)
            if village is None:
                raise UnknownVillage(req.village_code)
            room = [
                r[0]
                for r in await s.execute(
                    select(RoomOfficer.officer_id)
                    .join(Officer, Officer.user_id == RoomOfficer.officer_id)
                    .where(RoomOfficer.room_code == village.police_room_code, Officer.active)
                    .order_by(RoomOfficer.position)
                )
            ]
            station = [
                r[0]
                for r in await s.execute(
                    select(Officer.user_id)
                    .where(Officer.station_code == village.station_code, Officer.active)
                    .order_by(Officer.user_id)
                )
            ]
            candidates = [o for o in room if o not in req.exclude] or [
                o for o in station if o not in req.exclude
            ]
            if not candidates:
                candidates = room or station
            if not candidates:
                why = f"no active officer at station {village.station_code}"
                return Picked(officer_id="", unassigned=why)
            rows = await s.execute(
                select(Case.assignee_id, Case.colour, func.count())
                .where(
                    Case.assignee_id.in_(candidates),
                    Case.stage.in_(OPEN_STAGES),
                    Case.case_id != req.case_id,
                )
                .group_by(Case.assignee_id, Case.colour)
            )
            load = dict.fromkeys(candidates, 0)
            for officer_id, colour, n in rows:
                if officer_id in load:
                    load[officer_id] += weights.get(colour, 1) * int(n)
        best = min(candidates, key=lambda o: (load[o], candidates.index(o)))
        return Picked(officer_id=best)

    # `bool` is what histories recorded before the receipt hold: the workflow reads the result
    # as plain JSON (sandbox.in_sandbox finds no one class) and never branches on it
    @activity.defn(name="dispute_apply")
    async def apply(self, t: Transition) -> transitions.Applied | bool:
        with concise_db_errors():
            return await self._apply(t)

    async def _apply(self, t: Transition) -> transitions.Applied:
        async with transaction(self.factory) as s:
            written = await transitions.record(s, t)
        return transitions.Applied(kind=t.kind, seq=t.seq, colour=t.colour, written=written)

    def all(self) -> list[Callable[..., Any]]:
        channel = PartnerChannel(self.factory)
        return [
            self.load_config,
            self.register,
            self.screen,
            self.pick_officer,
            self.apply,
            channel.notify_partner,
        ]
