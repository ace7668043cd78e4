"""Online applications (网上办), the officer task list and the desk's figures."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments import directory
from services.appointments.calendar import local_day, now_utc, utc
from services.appointments.catalogue import get_service
from services.appointments.context import Desk, audit
from services.appointments.errors import Conflict, Forbidden, Invalid, NotFound
from services.appointments.models import Application, Booking, HomeVisit, outbox
from shared.contracts.appointments import DeskFiguresRead
from shared.messaging import contracts as c
from shared.messaging.outbox import add_event
from shared.tasks import TaskKind, TaskPage, TaskRead

DECISIONS = ("approved", "rejected", "returned")


def _event(
    cls: type[c.appointments.ApplicationEvent], a: Application
) -> c.appointments.ApplicationEvent:
    return cls(
        application_id=a.id,
        resident_id=a.resident_id,
        service_code=a.service_code,
        status=a.status,
        due_at=utc(a.due_at).isoformat(),
        note=a.note,
        officer_id=a.assignee_id,
    )


async def submit(
    s: AsyncSession,
    *,
    resident_id: str,
    village_code: str | None,
    service_code: str,
    documents: list[str],
    details: str = "",
    now: datetime | None = None,
) -> Application:
    now = now or now_utc()
    svc = await get_service(s, service_code)
    if "online" not in svc.ways:
        raise Invalid(f"{svc.name} cannot be applied for online", "service_code")
    missing = [d for d in svc.checklist if d not in documents]
    if missing:
        raise Invalid(f"missing documents: {', '.join(missing)}", "documents")
    who = await directory.assignment_for(s, village_code)
    a = Application(
        id="A" + uuid.uuid4().hex[:10].upper(),
        resident_id=resident_id,
        service_code=svc.code,
        documents=list(dict.fromkeys(documents)),
        details=details,
        status="submitted",
        assignee_id=who.officer_id,
        village_code=village_code,
        station_code=who.station_code,
        due_at=now + timedelta(days=svc.promised_days),
        created_at=now,
        note="",
    )
    s.add(a)
    audit(s, "application", a.id, "submitted", resident_id)
    await add_event(s, outbox, _event(c.appointments.ApplicationSubmitted, a))
    return a


async def get(s: AsyncSession, app_id: str, *, resident_id: str | None = None) -> Application:
    a = await s.get(Application, app_id)
    if a is None:
        raise NotFound(f"no application {app_id}")
    if resident_id is not None and a.resident_id != resident_id:
        raise Forbidden("this application belongs to someone else")
    return a


async def listing(
    s: AsyncSession, *, resident_id: str | None = None, status: str | None = None
) -> list[Application]:
    q = select(Application)
    if resident_id:
        q = q.where(Application.resident_id == resident_id)
    if status:
        q = q.where(Application.status == status)
    return list((await s.scalars(q.order_by(Application.created_at.desc()))).all())


async def decide(
    s: AsyncSession,
    app_id: str,
    *,
    decision: str,
    note: str,
    actor_id: str,
    now: datetime | None = None,
) -> Application:
    now = now or now_utc()
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}", "decision")
    if decision != "approved" and not note.strip():
        raise Invalid("say why, so the resident knows what to do", "note")
    a = await s.get(Application, app_id, with_for_update=True)
    if a is None:
        raise NotFound(f"no application {app_id}")
    if a.status != "submitted":
        raise Conflict(f"the application is already {a.status}")
    a.status, a.note, a.decided_at = decision, note.strip(), now
    audit(s, "application", a.id, decision, actor_id, note=a.note)
    await add_event(s, outbox, _event(c.appointments.ApplicationUpdated, a))
    return a


async def withdraw(
    s: AsyncSession, app_id: str, *, resident_id: str, reason: str = "", now: datetime | None = None
) -> Application:
    """The resident takes back an application no officer has decided yet."""
    now = now or now_utc()
    a = await s.get(Application, app_id, with_for_update=True)
    if a is None:
        raise NotFound(f"no application {app_id}")
    if a.resident_id != resident_id:
        raise Forbidden("this application belongs to someone else")
    if a.status != "submitted":
        raise Conflict(f"the application is already {a.status} and cannot be withdrawn")
    a.status = "withdrawn"
    audit(s, "application", a.id, "withdrawn", resident_id, note=reason.strip())
    await add_event(s, outbox, _event(c.appointments.ApplicationUpdated, a))
    return a


async def tasks(
    s: AsyncSession,
    *,
    assignee: str | None = None,
    station: str | None = None,
    village: str | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> TaskPage:
    now = now or now_utc()
    items: list[TaskRead] = []
    if kind in (None, "application"):
        q = select(Application).where(Application.status == "submitted")
        if assignee:
            q = q.where(Application.assignee_id == assignee)
        if station:
            q = q.where(Application.station_code == station)
        if village:
            q = q.where(Application.village_code == village)
        for a in await s.scalars(q):
            items.append(
                TaskRead(
                    task_id=f"application-{a.id}",
                    kind=TaskKind.APPLICATION,
                    title=f"online application {a.service_code}",
                    ref_id=a.id,
                    assignee_id=a.assignee_id,
                    village_code=a.village_code,
                    station_code=a.station_code,
                    due_at=utc(a.due_at),
                    overdue=utc(a.due_at) < now,
                )
            )
    if kind in (None, "home_visit"):
        hq = select(HomeVisit).where(HomeVisit.status.in_(["requested", "assigned", "scheduled"]))
        if assignee:
            hq = hq.where(HomeVisit.officer_id == assignee)
        if station:
            hq = hq.where(HomeVisit.station_code == station)
        if village:
            hq = hq.where(HomeVisit.village_code == village)
        for v in await s.scalars(hq):
            due = utc(v.due_at) if v.due_at else None
            items.append(
                TaskRead(
                    task_id=f"home_visit-{v.id}",
                    kind=TaskKind.HOME_VISIT,
                    title=f"door-to-door visit {v.service_code} ({v.status})",
                    ref_id=v.id,
                    assignee_id=v.officer_id,
                    village_code=v.village_code,
                    station_code=v.station_code,
                    due_at=due,
                    overdue=due is not None and due < now,
                )
            )
    items.sort(key=lambda t: (not t.overdue, t.due_at or now + timedelta(days=3650)))
    counts: dict[str, int] = defaultdict(int)
    for t in items:
        counts[t.kind] += 1
        counts["overdue"] += int(t.overdue)
    counts["total"] = len(items)
    return TaskPage(items=items, counts=dict(counts))


async def figures(s: AsyncSession, desk: Desk) -> DeskFiguresRead:
    """Served per way per month (local months), average wait for a slot, promised-time share."""
    served: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    waits: list[float] = []
    rows = await s.execute(
        select(Booking.created_at, Booking.starts_at, Booking.way, Booking.status).where(
            Booking.status.not_in(["held", "expired"])
        )
    )
    for created, starts, way, status in rows:
        waits.append((utc(starts) - utc(created)).total_seconds() / 86400)
        if status == "checked_in":
            served[local_day(starts, desk.tz).strftime("%Y-%m")][way] += 1
    decided = 0
    on_time = 0
    for a in await s.scalars(select(Application).where(Application.decided_at.is_not(None))):
        assert a.decided_at is not None
        if a.status == "approved":
            served[local_day(a.decided_at, desk.tz).strftime("%Y-%m")]["online"] += 1
        decided += 1
        on_time += int(utc(a.decided_at) <= utc(a.due_at))
    for v in await s.scalars(select(HomeVisit).where(HomeVisit.status == "done")):
        assert v.done_at is not None
        served[local_day(v.done_at, desk.tz).strftime("%Y-%m")]["door_to_door"] += 1
        decided += 1
        on_time += int(v.due_at is None or utc(v.done_at) <= utc(v.due_at))
    open_apps = await s.scalar(
        select(func.count()).select_from(Application).where(Application.status == "submitted")
    )
    return DeskFiguresRead(
        served_per_month={m: dict(w) for m, w in sorted(served.items())},
        served_total=sum(sum(w.values()) for w in served.values()),
        average_wait_days=round(sum(waits) / len(waits), 2) if waits else None,
        promised_time_compliance=round(on_time / decided, 3) if decided else None,
        open_applications=int(open_apps or 0),
    )
