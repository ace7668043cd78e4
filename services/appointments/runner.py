"""The periodic work's unit-of-work owner (the background loop and `POST /jobs/run`): the jobs
of jobs.py, one transaction per row they claim, and the door-to-door visits whose workflow
was not started yet (Temporal was unreachable when they were requested)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from services.appointments import home_visits, jobs, reconcile
from services.appointments.calendar import now_utc
from services.appointments.context import Desk
from services.appointments.models import HomeVisit
from shared.db import transaction

Factory = async_sessionmaker[AsyncSession]


async def _each(
    factory: Factory, ids: Sequence[int], step: Callable[[AsyncSession, int], Awaitable[bool]]
) -> int:
    done = 0
    for one in ids:
        async with transaction(factory) as s:
            done += await step(s, one)
    return done


async def run_jobs(factory: Factory, desk: Desk, now: datetime | None = None) -> jobs.JobReport:
    at = now or now_utc()
    async with factory() as s:
        holds = await jobs.expired_holds(s, at)
    released = await _each(factory, holds, jobs.release_hold)
    async with factory() as s:
        reminders = await jobs.due_reminders(s, at)
    sent = await _each(factory, reminders, lambda s, rid: jobs.send_reminder(s, rid, at))
    async with factory() as s:
        missed = await jobs.missed(s, desk, at)
    no_shows = await _each(factory, missed, jobs.mark_no_show)
    return jobs.JobReport(holds_released=released, reminders_sent=sent, no_shows=no_shows)


async def start_visit(factory: Factory, desk: Desk, client: Client | None, v: HomeVisit) -> bool:
    """Start a committed request's workflow, then mark its row started."""
    if not await home_visits.start_workflow(desk, client, v):
        return False
    async with transaction(factory) as s:
        await home_visits.mark_started(s, v.id)
    return True


async def start_pending(factory: Factory, desk: Desk, client: Client | None) -> int:
    async with factory() as s:
        rows = await home_visits.waiting_to_start(s)
    return sum([await start_visit(factory, desk, client, v) for v in rows])


async def reconcile_visits(
    factory: Factory, client: Client, *, actor: str = "system", station: str | None = None
) -> reconcile.VisitReconcileRead:
    """Every open visit row whose workflow was started against its workflow; drift repaired,
    one short unit of work per repair (the Temporal calls sit between them)."""
    async with factory() as s:
        ids = await reconcile.open_started(s, station)
    done: list[reconcile.VisitRepairRow] = []
    for vid in ids:
        kind, status = await reconcile.needed(client, vid)
        if kind is None:
            continue
        async with transaction(factory) as s:
            closed = await reconcile.close(s, vid, kind=kind, status=status, actor=actor)
        if closed:
            done.append(reconcile.repaired(vid, kind, status))
    return reconcile.VisitReconcileRead(checked=len(ids), repaired=done)
