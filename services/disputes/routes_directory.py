"""Internal API of the organisation directory's administration (/internal/v1/admin/directory,
portal only): put a station, police room, village or household (create or change), read them,
the officers' postings, the partner organisations' outbound channels and the change log.
Rules in directory_admin.py, postings.py and partners_admin.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.disputes import directory_admin as da
from services.disputes import directory_closing as dcl
from services.disputes import directory_reads as dr
from services.disputes import partners_admin as pa
from services.disputes import postings as po
from services.disputes.deps import RuntimeDep, SessionDep
from shared.contracts import directory as contract
from shared.db import transaction
from shared.web import internal_guard

Code = Annotated[str, Path(pattern=contract.CODE_PATTERN)]
PartnerCode = Annotated[str, Path(pattern=contract.PARTNER_PATTERN)]
HouseholdId = Annotated[str, Path(pattern=contract.HOUSEHOLD_PATTERN)]


def router(token: str) -> APIRouter:
    r = APIRouter(
        prefix="/internal/v1/admin/directory",
        dependencies=[Depends(internal_guard(token))],
        tags=["admin"],
    )

    @r.get("/stations")
    async def stations(session: SessionDep) -> list[contract.OrgStationRead]:
        return await dr.stations(session)

    @r.put("/stations/{code}")
    async def put_station(
        runtime: RuntimeDep, code: Code, body: contract.OrgStationWrite
    ) -> contract.OrgStationRead:
        async with transaction(runtime.factory) as session:
            out = await da.put_station(session, code, body, now=datetime.now(UTC))
        runtime.wake_relay()
        return out

    @r.get("/police-rooms")
    async def rooms(
        session: SessionDep, station: str | None = None
    ) -> list[contract.OrgPoliceRoomRead]:
        return await dr.rooms(session, station)

    @r.put("/police-rooms/{code}")
    async def put_room(
        runtime: RuntimeDep, code: Code, body: contract.OrgPoliceRoomWrite
    ) -> contract.OrgPoliceRoomRead:
        async with transaction(runtime.factory) as session:
            out = await da.put_room(session, code, body, now=datetime.now(UTC))
        runtime.wake_relay()
        return out

    @r.post("/police-rooms/{code}/close")
    async def close_room(
        runtime: RuntimeDep, code: Code, body: contract.OrgCloseWrite
    ) -> contract.OrgClosedRead:
        """409 with the reason while officers are posted there or villages depend on it."""
        async with transaction(runtime.factory) as session:
            out = await dcl.close_room(session, code, body, now=datetime.now(UTC))
        runtime.wake_relay()
        return out

    @r.get("/villages")
    async def villages(
        session: SessionDep, station: str | None = None, code: str | None = None
    ) -> list[contract.OrgVillageRead]:
        return await dr.villages(session, station=station, code=code)

    @r.put("/villages/{code}")
    async def put_village(
        runtime: RuntimeDep, code: Code, body: contract.OrgVillageWrite
    ) -> contract.OrgVillageRead:
        async with transaction(runtime.factory) as session:
            out = await da.put_village(session, code, body, now=datetime.now(UTC))
        runtime.wake_relay()
        return out

    @r.post("/villages/{code}/close")
    async def close_village(
        runtime: RuntimeDep, code: Code, body: contract.OrgCloseWrite
    ) -> contract.OrgClosedRead:
        """409 with the reason while it has households or open cases."""
        async with transaction(runtime.factory) as session:
            out = await dcl.close_village(session, code, body, now=datetime.now(UTC))
        runtime.wake_relay()
        return out

    @r.get("/partners")
    async def partners(
        session: SessionDep, station: str | None = None
    ) -> list[contract.OrgPartnerRead]:
        return await pa.partners(session, station)

    @r.put("/partners/{code}")
    async def put_partner(
        runtime: RuntimeDep, code: PartnerCode, body: contract.OrgPartnerWrite
    ) -> contract.OrgPartnerRead:
        async with transaction(runtime.factory) as session:
            return await pa.put_partner(session, code, body, now=datetime.now(UTC))

    @r.post("/partners/{code}/deactivate")
    async def deactivate_partner(
        runtime: RuntimeDep, code: PartnerCode, body: contract.OrgCloseWrite
    ) -> contract.OrgPartnerRead:
        """409 with the reason while requests sent to it are open."""
        async with transaction(runtime.factory) as session:
            return await pa.deactivate_partner(session, code, body, now=datetime.now(UTC))

    @r.get("/households")
    async def households(
        session: SessionDep, village: Annotated[str, Query(pattern=contract.CODE_PATTERN)]
    ) -> list[contract.OrgHouseholdRead]:
        return await dr.households(session, village)

    @r.put("/households/{household_id}")
    async def put_household(
        runtime: RuntimeDep, household_id: HouseholdId, body: contract.OrgHouseholdWrite
    ) -> contract.OrgHouseholdRead:
        async with transaction(runtime.factory) as session:
            return await da.put_household(session, household_id, body, now=datetime.now(UTC))

    @r.get("/postings")
    async def postings(
        session: SessionDep, station: str | None = None
    ) -> list[contract.OrgPostingRead]:
        return await dr.postings(session, station)

    @r.put("/postings/{officer_id}")
    async def put_posting(
        runtime: RuntimeDep, officer_id: str, body: contract.OrgPostingWrite
    ) -> contract.OrgPostingRead:
        async with transaction(runtime.factory) as session:
            out = await po.put_posting(session, officer_id, body, now=datetime.now(UTC))
        runtime.wake_relay()
        return out

    @r.put("/partners/{code}/channel")
    async def put_partner_channel(
        runtime: RuntimeDep, code: PartnerCode, body: contract.OrgPartnerChannelWrite
    ) -> contract.OrgPartnerRead:
        """Where the organisation's linkage notices go; a stuck notice uses it at its next
        attempt (the board's retry makes that now)."""
        async with transaction(runtime.factory) as session:
            return await pa.put_channel(session, code, body, now=datetime.now(UTC))

    @r.get("/changes")
    async def changes(
        session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> list[contract.OrgChangeRead]:
        return await dr.changes(session, limit=limit)

    return r
