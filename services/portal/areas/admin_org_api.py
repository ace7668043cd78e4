"""The organisation administration's JSON API (/api/v1/admin/org/...): stations, police rooms,
villages and households (administrators) and officers' postings (administrators; station
chiefs for the officers of their own station). Each `PUT` creates the record or changes it,
is validated by the disputes service (which owns the directory: 422 with each field and
reason), audited (who, when, what, why) and told to the other services by events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel

from services.portal.admin_lib import org
from services.portal.admin_lib.backend import Problems
from services.portal.areas.admin_org import post_officer
from services.portal.deps import Clients, RuntimeDep, User, require_roles
from services.portal.web import client_ip
from shared.contracts import directory as d
from shared.db import transaction


class Problem(BaseModel):
    detail: str


class Invalid(BaseModel):
    detail: list[dict[str, str]]


api = APIRouter(
    prefix="/api/v1/admin/org",
    responses={
        401: {"model": Problem, "description": "no or invalid bearer token"},
        403: {"model": Problem, "description": "not an administrator (or not your station)"},
        503: {"model": Problem, "description": "the disputes service's directory is not available"},
    },
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]
Code = Annotated[str, Path(pattern=d.CODE_PATTERN, examples=["SYZ01"])]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"model": Invalid, "description": "each problem with its field and reason"}
}
Station = Annotated[str | None, Query(pattern=d.CODE_PATTERN)]


async def _put(
    request: Request, user: User, clients: Clients, rt: RuntimeDep, kind: str, code: str, body: Any
) -> Any:
    try:
        out = await org.write(clients, user, kind, code, body)
    except Problems as exc:
        return exc.response()
    async with transaction(rt.factory) as session:
        await org.audited(
            session, user=user, kind=kind, code=code, body=body, ip=client_ip(request)
        )
    return out


@api.get("/stations", response_model=list[d.OrgStationRead])
async def stations(user: Admin, clients: Clients) -> Any:
    return await org.read(clients, user, d.OrgStationRead, "stations")


@api.put("/stations/{code}", response_model=d.OrgStationRead, responses=REFUSED)
async def put_station(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgStationBody,
) -> Any:
    """Open a police station or change it (its name, township, county, chief)."""
    return await _put(request, user, clients, rt, "station", code, body)


@api.get("/police-rooms", response_model=list[d.OrgPoliceRoomRead])
async def police_rooms(user: Admin, clients: Clients, station: Station = None) -> Any:
    return await org.read(clients, user, d.OrgPoliceRoomRead, "police-rooms", station=station)


@api.put("/police-rooms/{code}", response_model=d.OrgPoliceRoomRead, responses=REFUSED)
async def put_police_room(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgPoliceRoomBody,
) -> Any:
    """Open a police room in a village of its station (from the next case on, the village is
    served by it) or change one; post its officers with `PUT .../postings/{officer_id}`."""
    return await _put(request, user, clients, rt, "police_room", code, body)


@api.get("/villages", response_model=list[d.OrgVillageRead])
async def villages(user: Admin, clients: Clients, station: Station = None) -> Any:
    return await org.read(clients, user, d.OrgVillageRead, "villages", station=station)


@api.put("/villages/{code}", response_model=d.OrgVillageRead, responses=REFUSED)
async def put_village(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    code: Code,
    body: d.OrgVillageBody,
) -> Any:
    """Add a village or change it (its station and the police room that serves it)."""
    return await _put(request, user, clients, rt, "village", code, body)


@api.get("/households", response_model=list[d.OrgHouseholdRead])
async def households(
    user: Admin, clients: Clients, village: Annotated[str, Query(pattern=d.CODE_PATTERN)]
) -> Any:
    return await org.read(clients, user, d.OrgHouseholdRead, "households", village=village)


@api.put("/households/{household_id}", response_model=d.OrgHouseholdRead, responses=REFUSED)
async def put_household(
    request: Request,
    user: Admin,
    clients: Clients,
    rt: RuntimeDep,
    household_id: Annotated[str, Path(pattern=d.HOUSEHOLD_PATTERN, examples=["hh-ma-vyz0101"])],
    body: d.OrgHouseholdBody,
) -> Any:
    """Add a household (家庭单元) to a village or change it."""
    return await _put(request, user, clients, rt, "household", household_id, body)


@api.get("/postings", response_model=list[d.OrgPostingRead])
async def postings(user: Manager, clients: Clients, station: Station = None) -> Any:
    """Officers with their station and police rooms (a station chief: their own station)."""
    if user.role != "admin":
        if station and station != user.station_code:
            raise HTTPException(403, detail="you manage the officers of your own station only")
        station = user.station_code
    return await org.read(clients, user, d.OrgPostingRead, "postings", station=station)


@api.put(
    "/postings/{officer_id}",
    response_model=d.OrgPostingRead,
    responses={**REFUSED, 404: {"model": Problem, "description": "no such officer"}},
)
async def put_posting(
    request: Request,
    user: Manager,
    clients: Clients,
    rt: RuntimeDep,
    officer_id: Annotated[str, Path(max_length=64)],
    body: d.OrgPostingBody,
) -> Any:
    """Post an officer to exactly these police rooms of their station (a move: rooms left out
    are left). The next dispute of a village reads the new posting; running cases keep their
    officer until reassigned. Moving to another station: the staff account's posting."""
    try:
        return await post_officer(request, user, clients, rt, officer_id, body)
    except Problems as exc:
        return exc.response()


@api.get("/changes", response_model=list[d.OrgChangeRead])
async def changes(
    user: Admin, clients: Clients, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Any:
    """The directory's change log, newest first: who changed what, when and why."""
    return await org.read(clients, user, d.OrgChangeRead, "changes", limit=limit)


__all__ = ["api"]
