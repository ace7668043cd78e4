"""Checks on a new case before anything reaches Temporal: who may be named as a party, how
many parties, names and phones, and a resident's village and daily allowance of reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.portal.deps import FieldError, User, audit
from services.portal.inputs import clean_name, name_problem, optional_phone
from services.portal.models import AuditEntry, UserRow
from shared.contracts.disputes import DisputeIntake

# A dispute is between neighbours, families, a village and a company: 20 parties covers the
# largest seen; the workflow's payload must stay far below Temporal's blob limit.
MAX_PARTIES = 20
MAX_HOUSEHOLDS = 20
REPORTED = "dispute.reported"


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def reports_today(session: AsyncSession, user_id: str, now: datetime) -> int:
    stmt = select(func.count(func.distinct(AuditEntry.subject))).where(
        AuditEntry.actor_id == user_id,
        AuditEntry.action == REPORTED,
        AuditEntry.at >= _day_start(now),
        AuditEntry.at < _day_start(now) + timedelta(days=1),
    )
    return int((await session.execute(stmt)).scalar_one())


async def _already_counted(session: AsyncSession, user_id: str, case_id: str) -> bool:
    stmt = select(AuditEntry.id).where(
        AuditEntry.actor_id == user_id, AuditEntry.action == REPORTED, AuditEntry.subject == case_id
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def check_intake(
    factory: async_sessionmaker[AsyncSession],
    user: User,
    intake: DisputeIntake,
    *,
    reports_per_day: int,
    now: datetime | None = None,
) -> DisputeIntake:
    """The intake with phones normalised, or FieldError naming the field and the reason."""
    t = now or datetime.now(UTC)
    if len(intake.parties) > MAX_PARTIES:
        raise FieldError("parties", f"at most {MAX_PARTIES} parties")
    if len(intake.households) > MAX_HOUSEHOLDS:
        raise FieldError("households", f"at most {MAX_HOUSEHOLDS} households")
    for i, h in enumerate(intake.households):
        if name_problem(h.household_id + h.name):
            raise FieldError(
                f"households.{i}", "contains control, invisible or text-direction characters"
            )
    parties = []
    for i, p in enumerate(intake.parties):
        name = clean_name(p.name, field=f"parties.{i}.name", max_length=64)
        phone = optional_phone(p.phone, field=f"parties.{i}.phone")
        parties.append(p.model_copy(update={"name": name, "phone": phone}))
    named = {i: p.user_id for i, p in enumerate(parties) if p.user_id}
    async with factory() as session:
        if user.role == "resident":
            for i, uid in named.items():
                if uid != user.user_id:
                    raise FieldError(f"parties.{i}.user_id", "residents can name only themselves")
            if intake.village_code != (user.village_code or ""):
                raise FieldError("village_code", "residents report only in their own village")
            if await _already_counted(session, user.user_id, intake.case_id):
                pass  # a retry of a case already counted
            elif await reports_today(session, user.user_id, t) >= reports_per_day:
                raise FieldError(
                    "body", f"at most {reports_per_day} reports a day; call the police room"
                )
        else:
            for i, uid in named.items():
                row = await session.get(UserRow, uid)
                if row is None or not row.active or row.role != "resident":
                    raise FieldError(f"parties.{i}.user_id", "no such resident account")
    return intake.model_copy(update={"parties": parties})


async def count_report(factory: async_sessionmaker[AsyncSession], user: User, case_id: str) -> None:
    """After the case started: a resident's report counts against their day (once per case)."""
    if user.role != "resident":
        return
    async with factory() as session, session.begin():
        if not await _already_counted(session, user.user_id, case_id):
            await audit(session, action=REPORTED, actor_id=user.user_id, subject=case_id)
