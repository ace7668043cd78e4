"""Internal routes of the partner organisations (portal only, under /internal/v1): the
directory of organisations, an organisation's task list and a case as it sees it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from services.disputes import partners
from services.disputes.deps import SessionDep
from shared.linkage import LinkagePage, PartnerCaseRead, PartnerOrgRead

router = APIRouter(tags=["partners"])


@router.get("/directory/partners")
async def organisations(
    session: SessionDep, village: str | None = None, station: str | None = None
) -> list[PartnerOrgRead]:
    return await partners.organisations(session, village=village, station=station)


@router.get("/partners/{code}/tasks")
async def tasks(session: SessionDep, code: str, include_closed: bool = False) -> LinkagePage:
    org = await partners.organisation(session, code)
    items = await partners.task_list(
        session, code, now=datetime.now(UTC), include_closed=include_closed
    )
    return LinkagePage(partner=partners.org_read(org), items=items)


@router.get("/partners/{code}/cases/{case_id}")
async def case(session: SessionDep, code: str, case_id: str) -> PartnerCaseRead:
    await partners.organisation(session, code)
    return await partners.linked_case(session, code, case_id, now=datetime.now(UTC))
