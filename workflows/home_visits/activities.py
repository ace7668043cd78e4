"""Activities of the door-to-door workflow: who is assigned, and recording each transition.

The appointments service owns the visit's row and events and its replica of the directory (who
serves a village); the worker reaches both through a `VisitStore` (its internal HTTP API in
production), so a test can hand in another store.
"""

from __future__ import annotations

from typing import Protocol

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from shared.auth import INTERNAL_TOKEN_HEADER
from workflows.home_visits.types import AssignInput, Assignment, VisitChange


class VisitStore(Protocol):
    async def apply(self, change: VisitChange) -> None: ...

    async def assignment(self, village_code: str | None) -> Assignment:
        """The community officer of the village's police room, and the station chief above."""
        ...


class HttpVisitStore:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def apply(self, change: VisitChange) -> None:
        from pydantic import TypeAdapter

        body = TypeAdapter(VisitChange).dump_python(change, mode="json")
        r = await self.client.post(
            f"/internal/v1/home-visits/{change.visit_id}/sync",
            json=body,
            headers={INTERNAL_TOKEN_HEADER: self.token},
        )
        if r.status_code == 404:  # its record is gone (a restore from an older backup)
            raise ApplicationError(
                f"the desk has no record of visit {change.visit_id}", type="VisitRecordMissing"
            )
        r.raise_for_status()

    async def assignment(self, village_code: str | None) -> Assignment:
        if not village_code:
            return Assignment(None, None, None)
        r = await self.client.get(
            f"/internal/v1/directory/villages/{village_code}/assignment",
            headers={INTERNAL_TOKEN_HEADER: self.token},
        )
        r.raise_for_status()
        from pydantic import TypeAdapter

        return TypeAdapter(Assignment).validate_python(r.json())


class HomeVisitActivities:
    def __init__(self, store: VisitStore) -> None:
        self.store = store

    @activity.defn(name="home_visit_assign")
    async def assign(self, inp: AssignInput) -> Assignment:
        return await self.store.assignment(inp.village_code)

    @activity.defn(name="home_visit_record")
    async def record(self, change: VisitChange) -> None:
        await self.store.apply(change)
