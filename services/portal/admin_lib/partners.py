"""The partner organisations' administration calls to the disputes service (which owns them):
list, create or change, deactivate; their member accounts (owned here), deactivated with the
organisation and brought back with it; what the pages and the API share."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.admin_lib import staff as st
from services.portal.admin_lib.backend import Problem, Problems
from services.portal.backend import call_service
from services.portal.deps import ServiceClients, User
from services.portal.models import UserRow
from services.portal.service import audit
from shared.contracts import directory as d

UNAVAILABLE = "the directory of the disputes service is not available"
BASE = "/admin/directory/partners"
KINDS = {
    "village_committee": "Village committee",
    "judicial_office": "Judicial office",
    "womens_federation": "Women's federation",
    "township_government": "Township government",
    "other": "Other",
}


async def listed(
    clients: ServiceClients, user: User, station: str | None
) -> list[d.OrgPartnerRead]:
    return await call_service(
        clients.disputes,
        UNAVAILABLE,
        "GET",
        BASE,
        user,
        params={"station": station},
        answer=list[d.OrgPartnerRead],
    )


async def put(
    clients: ServiceClients, user: User, code: str, body: d.OrgPartnerBody
) -> d.OrgPartnerRead:
    payload = d.OrgPartnerWrite.model_validate({**body.model_dump(), "actor_id": user.user_id})
    return await call_service(
        clients.disputes,
        UNAVAILABLE,
        "PUT",
        f"{BASE}/{code}",
        user,
        json=payload.model_dump(mode="json"),
        answer=d.OrgPartnerRead,
    )


async def deactivate(
    clients: ServiceClients, user: User, code: str, body: d.OrgCloseBody
) -> d.OrgPartnerRead:
    payload = d.OrgCloseWrite(reason=body.reason, actor_id=user.user_id)
    return await call_service(
        clients.disputes,
        UNAVAILABLE,
        "POST",
        f"{BASE}/{code}/deactivate",
        user,
        json=payload.model_dump(mode="json"),
        answer=d.OrgPartnerRead,
    )


def validated(model: type[Any], form: dict[str, Any]) -> Any:
    """A page's form as the API's body; Problems (field and reason) if it does not fit."""
    try:
        return model.model_validate(form)
    except ValidationError as exc:
        raise Problems(
            [
                Problem(field=".".join(str(p) for p in e["loc"][:1]) or "body", reason=e["msg"])
                for e in exc.errors()
            ]
        ) from None


class PartnerAnswer(d.OrgPartnerRead):
    """The organisation as the directory now has it, and its member accounts this change
    deactivated or brought back."""

    accounts_deactivated: list[str] = Field(
        default=[], description="member accounts deactivated with the organisation"
    )
    accounts_reactivated: list[str] = Field(
        default=[],
        description="member accounts brought back with it (only those its deactivation took)",
    )


async def members(session: AsyncSession, code: str) -> list[UserRow]:
    stmt = select(UserRow).where(UserRow.role == "partner", UserRow.partner_code == code)
    return list((await session.scalars(stmt.order_by(UserRow.username))).all())


async def with_members(
    session: AsyncSession,
    out: d.OrgPartnerRead,
    *,
    user: User,
    action: str,
    body: d.OrgCloseBody | d.OrgPartnerBody,
    ip: str | None,
) -> PartnerAnswer:
    """After the directory deactivated (`active` false) or saved the organisation: its active
    member accounts are deactivated, or those its deactivation took come back; the change is
    audited with the accounts it moved."""
    moved: list[str] = []
    for row in await members(session, out.code):
        if out.active and row.deactivated_with == out.code:
            changed = await st.set_active(
                session, row, True, actor=user, reason=body.reason, ip=ip, with_partner=out.code
            )
        elif not out.active:
            changed = await st.set_active(
                session, row, False, actor=user, reason=body.reason, ip=ip, with_partner=out.code
            )
        else:
            changed = False
        if changed:
            moved.append(row.user_id)
    key = "accounts_reactivated" if out.active else "accounts_deactivated"
    await audit(
        session,
        action=f"admin.org.partner.{action}",
        actor_id=user.user_id,
        subject=out.code,
        ip=ip,
        detail={**body.model_dump(mode="json"), key: moved},
    )
    return PartnerAnswer.model_validate({**out.model_dump(), key: moved})
