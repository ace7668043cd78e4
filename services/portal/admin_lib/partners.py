"""The partner organisations' administration calls to the disputes service (which owns them):
list, create or change, deactivate; what the pages and the API share."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.portal.admin_lib.backend import Problem, Problems
from services.portal.backend import call_service
from services.portal.deps import ServiceClients, User
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
