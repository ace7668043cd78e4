"""The organisation administration's calls to the disputes service (which owns the directory)
and what the pages and the API share: put a station, police room, village or household, post
an officer to police rooms, read them back. Each write is audited here too (who, when, what),
beside the directory's own change log.

Kept small on purpose: one `read` and one `write` to the backend, typed with shared/directory.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.admin_lib.backend import Problem, Problems, call
from services.portal.deps import ServiceClients, User
from services.portal.models import UserRow
from services.portal.service import audit, publish_user
from shared.contracts import directory as d

UNAVAILABLE = "the directory of the disputes service is not available"
BASE = "/admin/directory"
R = TypeVar("R", bound=BaseModel)

# kind -> (path segment, body model, the model the disputes service takes, read model)
KINDS: dict[str, tuple[str, type[BaseModel], type[BaseModel], type[BaseModel]]] = {
    "station": ("stations", d.OrgStationBody, d.OrgStationWrite, d.OrgStationRead),
    "police_room": ("police-rooms", d.OrgPoliceRoomBody, d.OrgPoliceRoomWrite, d.OrgPoliceRoomRead),
    "village": ("villages", d.OrgVillageBody, d.OrgVillageWrite, d.OrgVillageRead),
    "household": ("households", d.OrgHouseholdBody, d.OrgHouseholdWrite, d.OrgHouseholdRead),
    "posting": ("postings", d.OrgPostingBody, d.OrgPostingWrite, d.OrgPostingRead),
}


async def read(
    clients: ServiceClients, user: User, model: type[R], path: str, **params: Any
) -> list[R]:
    answer: type[list[R]] = list[model]  # type: ignore[valid-type]
    return await call(
        clients.disputes, UNAVAILABLE, "GET", f"{BASE}/{path}", user, answer=answer, params=params
    )


async def write(
    clients: ServiceClients, user: User, kind: str, code: str, body: BaseModel
) -> BaseModel:
    segment, _, sent, answer = KINDS[kind]
    payload = sent.model_validate({**body.model_dump(), "actor_id": user.user_id})
    return await call(
        clients.disputes,
        UNAVAILABLE,
        "PUT",
        f"{BASE}/{segment}/{code}",
        user,
        answer=answer,
        json=payload.model_dump(mode="json"),
    )


# what can be closed: kind -> path segment (the disputes service refuses one in use: 409)
CLOSABLE = {"police_room": "police-rooms", "village": "villages"}


async def close(
    clients: ServiceClients, user: User, kind: str, code: str, body: d.OrgCloseBody
) -> d.OrgClosedRead:
    payload = d.OrgCloseWrite(reason=body.reason, actor_id=user.user_id)
    return await call(
        clients.disputes,
        UNAVAILABLE,
        "POST",
        f"{BASE}/{CLOSABLE[kind]}/{code}/close",
        user,
        answer=d.OrgClosedRead,
        json=payload.model_dump(mode="json"),
    )


def body_of(kind: str, form: dict[str, Any]) -> BaseModel:
    """A page's form as the API's body; Problems (field and reason) if it does not fit."""
    model = KINDS[kind][1]
    try:
        return model.model_validate(form)
    except ValidationError as exc:
        raise Problems(
            [
                Problem(field=".".join(str(p) for p in e["loc"]) or "body", reason=e["msg"])
                for e in exc.errors()
            ]
        ) from None


async def audited(
    session: AsyncSession,
    *,
    user: User,
    kind: str,
    code: str,
    body: BaseModel,
    ip: str | None,
) -> None:
    await audit(
        session,
        action=f"admin.org.{kind}",
        actor_id=user.user_id,
        subject=code,
        ip=ip,
        detail=body.model_dump(mode="json"),
    )


async def follow_posting(session: AsyncSession, row: UserRow, posting: d.OrgPostingRead) -> None:
    """The officer's account names their first police room (what the staff pages show and
    what their next `user.upserted` says, so it never undoes this posting)."""
    first = posting.police_room_codes[0] if posting.police_room_codes else None
    if row.police_room_code != first or row.station_code != posting.station_code:
        row.police_room_code = first
        row.station_code = posting.station_code
        await publish_user(session, row)
