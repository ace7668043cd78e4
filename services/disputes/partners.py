"""Partner organisations of the linkage (协调联动), owned here with the rest of the directory:
which organisations serve a village, the checks on a request that names one and on an answer
given by one of its members, and what a partner sees of the cases linked to it (no FastAPI).

A request's task row carries the organisation's code (`Task.partner_code`): the organisation's
task list is its open rows; a case is linked to it while any row of the case names it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disputes.models import Case, PartnerOrg, Party, Task, TimelineEntry, Village
from shared import errors
from shared.linkage import (
    LinkageRead,
    PartnerCaseRead,
    PartnerOrgRead,
    PartyBrief,
)
from shared.pii import mask_phone
from workflows.disputes.types import Actor

CODE_FIELD = "payload.partner_code"


def org_read(p: PartnerOrg) -> PartnerOrgRead:
    return PartnerOrgRead(
        code=p.code,
        kind=p.kind,
        name=p.name,
        township=p.township,
        station_code=p.station_code,
        village_codes=list(p.village_codes),
    )


async def organisations(
    session: AsyncSession,
    *,
    village: str | None = None,
    station: str | None = None,
    codes: list[str] | None = None,
) -> list[PartnerOrgRead]:
    """Active organisations, those serving `village` (of `station`, with `codes`) if given."""
    stmt = select(PartnerOrg).where(PartnerOrg.active).order_by(PartnerOrg.kind, PartnerOrg.code)
    if station:
        stmt = stmt.where(PartnerOrg.station_code == station)
    if codes is not None:
        stmt = stmt.where(PartnerOrg.code.in_(codes))
    rows = (await session.execute(stmt)).scalars()
    return [org_read(p) for p in rows if not village or village in p.village_codes]


async def organisation(session: AsyncSession, code: str) -> PartnerOrg:
    org = await session.get(PartnerOrg, code)
    if org is None or not org.active:
        raise errors.NotFound(f"no partner organisation {code}")
    return org


async def check_link(session: AsyncSession, case_id: str, payload: dict[str, Any]) -> None:
    """A link-partner naming an organisation: it exists, serves the case's village, and is of
    the kind the request says (422 on `payload.partner_code` otherwise). A request naming none
    is the officer's own (the officer records the answer)."""
    code = payload.get("partner_code")
    if not code:
        return
    org = await session.get(PartnerOrg, code)
    if org is None or not org.active:
        raise errors.Invalid("no such partner organisation", CODE_FIELD)
    if org.kind != payload.get("partner"):
        raise errors.Invalid(f"this organisation is a {org.kind}", CODE_FIELD)
    case = await session.get(Case, case_id)
    if case is not None and case.village_code not in org.village_codes:
        raise errors.Invalid("this organisation does not serve the case's village", CODE_FIELD)


async def check_member(session: AsyncSession, actor: Actor) -> None:
    """A partner actor names an active organisation (the portal says which is theirs)."""
    if actor.role != "partner":
        return
    if not actor.partner_code:
        raise errors.Forbidden("a partner account without an organisation")
    org = await session.get(PartnerOrg, actor.partner_code)
    if org is None or not org.active:
        raise errors.Forbidden(f"no partner organisation {actor.partner_code}")


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


async def _linkages(
    session: AsyncSession, code: str, tasks: list[Task], now: datetime
) -> list[LinkageRead]:
    """The requests behind `tasks` (rows of one organisation), with their answers."""
    if not tasks:
        return []
    case_ids = {t.case_id for t in tasks}
    cases = {
        c.case_id: c
        for c in (await session.execute(select(Case).where(Case.case_id.in_(case_ids)))).scalars()
    }
    villages = {
        v.code: v.name
        for v in (
            await session.execute(
                select(Village).where(Village.code.in_({c.village_code for c in cases.values()}))
            )
        ).scalars()
    }
    asked: dict[str, TimelineEntry] = {}
    answered: dict[str, TimelineEntry] = {}
    rows = await session.execute(
        select(TimelineEntry)
        .where(
            TimelineEntry.case_id.in_(case_ids),
            TimelineEntry.kind.in_(("partner_requested", "partner_replied")),
        )
        .order_by(TimelineEntry.case_id, TimelineEntry.seq)
    )
    for e in rows.scalars():
        rid = str(e.data.get("request_id") or "")
        (asked if e.kind == "partner_requested" else answered)[rid] = e
    out = []
    for t in tasks:
        c = cases[t.case_id]
        req, ans = asked.get(t.task_id), answered.get(t.task_id)
        due = _aware(t.due_at)
        is_open = t.closed_at is None
        by_name = str(ans.data.get("by_name") or "") if ans is not None else ""
        out.append(
            LinkageRead(
                request_id=t.task_id,
                case_id=c.case_id,
                case_no=c.case_no,
                category=c.category,
                village_code=c.village_code,
                village_name=villages.get(c.village_code, c.village_code),
                request=req.note if req is not None else "",
                requested_at=_aware(t.opened_at) or now,
                deadline=due,
                overdue=is_open and due is not None and due < now,
                open=is_open,
                answer=ans.note if ans is not None else None,
                answered_at=_aware(ans.at) if ans is not None else None,
                answered_by=ans.actor_id if ans is not None else None,
                answered_by_name=by_name or None,
            )
        )
    return out


async def task_list(
    session: AsyncSession, code: str, *, now: datetime, include_closed: bool = False
) -> list[LinkageRead]:
    """The organisation's requests: open ones, overdue first then by deadline; with
    `include_closed` the answered ones after them, newest first."""
    stmt = select(Task).where(Task.partner_code == code, Task.kind == "linkage")
    if not include_closed:
        stmt = stmt.where(Task.closed_at.is_(None))
    items = await _linkages(session, code, list((await session.execute(stmt)).scalars()), now)
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (not i.open, not i.overdue, i.deadline or far, i.request_id))
    return items


async def linked_case(
    session: AsyncSession, code: str, case_id: str, *, now: datetime
) -> PartnerCaseRead:
    """The case as the organisation sees it: 404 unknown, 403 not linked to it."""
    case = await session.get(Case, case_id)
    if case is None:
        raise errors.NotFound(f"case {case_id} not found")
    tasks = list(
        (
            await session.execute(
                select(Task).where(Task.case_id == case_id, Task.partner_code == code)
            )
        ).scalars()
    )
    if not tasks:
        raise errors.Forbidden("this case was not linked to your organisation")
    village = await session.get(Village, case.village_code)
    parties = (
        await session.execute(
            select(Party).where(Party.case_id == case_id).order_by(Party.position)
        )
    ).scalars()
    requests = await _linkages(session, code, tasks, now)
    requests.sort(key=lambda r: r.requested_at)
    return PartnerCaseRead(
        case_id=case.case_id,
        case_no=case.case_no,
        category=case.category,
        description=case.description,
        stage=case.stage,
        village_code=case.village_code,
        village_name=village.name if village is not None else case.village_code,
        township=case.township,
        reported_at=case.reported_at,
        parties=[PartyBrief(name=p.name, role=p.role, phone=mask_phone(p.phone)) for p in parties],
        requests=requests,
    )
