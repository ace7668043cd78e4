"""Door-to-door visits (上门办): the request, its row, and the workflow's recorded transitions.

The workflow (workflows/home_visits) owns the process; this module owns the table and the
events. A request commits first, then the workflow is started; if Temporal is unreachable the
periodic job starts it later (`workflow_started` marks the rows still waiting).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from services.appointments import directory
from services.appointments.calendar import now_utc, utc
from services.appointments.catalogue import get_service
from services.appointments.context import Desk, audit
from services.appointments.errors import Conflict, Forbidden, Invalid, NotFound
from services.appointments.models import HomeVisit, outbox
from shared.messaging import contracts as c
from shared.messaging.events import deterministic_event_id
from shared.messaging.outbox import add_event
from workflows.home_visits import client as wf
from workflows.home_visits.types import (
    REASONS,
    CancelInput,
    DoneInput,
    ScheduleInput,
    VisitChange,
    VisitInput,
    VisitState,
    WithdrawInput,
)

log = logging.getLogger("fengqiao.appointments.home_visits")

EVENTS: dict[str, type[c.appointments.HomeVisitEvent]] = {
    "assigned": c.appointments.HomeVisitAssigned,
    "scheduled": c.appointments.HomeVisitScheduled,
    "rescheduled": c.appointments.HomeVisitRescheduled,
    "done": c.appointments.HomeVisitDone,
    "escalated": c.appointments.HomeVisitEscalated,
    "cancelled": c.appointments.HomeVisitCancelled,
}
OPEN = ("requested", "assigned", "scheduled")


def _event(
    cls: type[c.appointments.HomeVisitEvent], v: HomeVisit, **extra: object
) -> c.appointments.HomeVisitEvent:
    return cls(
        visit_id=v.id,
        resident_id=v.resident_id,
        service_code=v.service_code,
        village_code=v.village_code,
        officer_id=v.officer_id,
        scheduled_at=utc(v.scheduled_at).isoformat() if v.scheduled_at else None,
        status=v.status,
        **extra,
    )


def visit_input(desk: Desk, v: HomeVisit) -> VisitInput:
    s = desk.settings
    return VisitInput(
        visit_id=v.id,
        resident_id=v.resident_id,
        service_code=v.service_code,
        village_code=v.village_code,
        schedule_within_hours=s.visit_schedule_hours,
        done_grace_hours=s.visit_done_grace_hours,
        escalation_hours=s.visit_escalation_hours,
    )


async def request_visit(
    s: AsyncSession,
    *,
    resident_id: str,
    village_code: str | None,
    service_code: str,
    reason: str,
    address: str = "",
    phone: str = "",
    now: datetime | None = None,
) -> HomeVisit:
    now = now or now_utc()
    if reason not in REASONS:
        raise Invalid(f"door-to-door is for {', '.join(REASONS)} residents", "reason")
    village = await directory.village(s, village_code)
    if village is None or not village.active:
        raise Invalid("the resident's village is unknown or closed", "village_code")
    svc = await get_service(s, service_code)
    if "door_to_door" not in svc.ways:
        raise Invalid(f"{svc.name} is not offered door-to-door", "service_code")
    open_one = await s.scalar(
        select(HomeVisit.id).where(
            HomeVisit.resident_id == resident_id,
            HomeVisit.service_code == service_code,
            HomeVisit.status.in_(OPEN),
        )
    )
    if open_one is not None:
        raise Conflict(f"a door-to-door visit for this service is already open ({open_one})")
    v = HomeVisit(
        id="H" + uuid.uuid4().hex[:10].upper(),
        resident_id=resident_id,
        service_code=svc.code,
        village_code=village.code,
        station_code=village.station_code,
        reason=reason,
        address=address,
        phone=phone,
        status="requested",
        created_at=now,
        seq=0,
        escalated=False,
        workflow_started=False,
    )
    s.add(v)
    audit(s, "home_visit", v.id, "requested", resident_id, reason=reason)
    await add_event(s, outbox, _event(c.appointments.HomeVisitRequested, v))
    return v


async def start_workflow(desk: Desk, client: Client | None, v: HomeVisit) -> bool:
    """Start the visit's workflow (no database here: the caller marks it, `mark_started`)."""
    if client is None:
        return False
    try:
        await wf.start_visit(client, visit_input(desk, v), task_queue=desk.settings.task_queue)
    except Exception as exc:
        log.warning("home visit %s: workflow not started yet (%s)", v.id, exc)
        return False
    return True


async def mark_started(s: AsyncSession, visit_id: str) -> None:
    await s.execute(update(HomeVisit).where(HomeVisit.id == visit_id).values(workflow_started=True))


async def waiting_to_start(s: AsyncSession) -> list[HomeVisit]:
    """Requests committed while Temporal was unreachable (the periodic job starts them)."""
    q = select(HomeVisit).where(
        HomeVisit.workflow_started.is_(False), HomeVisit.status == "requested"
    )
    return list((await s.scalars(q.limit(100))).all())


async def apply_change(s: AsyncSession, change: VisitChange) -> bool:
    """Record one workflow transition; a retried activity (same seq) changes nothing."""
    if change.event not in EVENTS:
        raise Invalid(f"unknown transition {change.event!r}", "event")
    v = await s.get(HomeVisit, change.visit_id, with_for_update=True)
    if v is None:
        raise NotFound(f"no home visit {change.visit_id}")
    if change.seq <= v.seq:
        return False
    v.seq, v.status, v.officer_id = change.seq, change.stage, change.officer_id
    v.station_code = change.station_code or v.station_code
    v.scheduled_at, v.due_at, v.escalated = change.scheduled_at, change.due_at, change.escalated
    if change.stage == "done":
        v.done_at = change.at
    audit(s, "home_visit", v.id, change.event, change.actor_id, reason=change.reason)
    extra: dict[str, object] = {}
    if change.event in ("escalated", "rescheduled", "cancelled"):
        extra["reason"] = change.reason
    event = _event(EVENTS[change.event], v, **extra).model_copy(
        update={"event_id": deterministic_event_id("home_visit", v.id, change.seq)}
    )
    await add_event(s, outbox, event)
    return True


async def get_visit(s: AsyncSession, visit_id: str, *, resident_id: str | None = None) -> HomeVisit:
    v = await s.get(HomeVisit, visit_id)
    if v is None:
        raise NotFound(f"no home visit {visit_id}")
    if resident_id is not None and v.resident_id != resident_id:
        raise Forbidden("this visit belongs to someone else")
    return v


async def visits(s: AsyncSession, *, resident_id: str | None = None) -> list[HomeVisit]:
    q = select(HomeVisit)
    if resident_id:
        q = q.where(HomeVisit.resident_id == resident_id)
    return list((await s.scalars(q.order_by(HomeVisit.created_at.desc()))).all())


async def act(
    client: Client | None,
    visit_id: str,
    *,
    action: str,
    actor_id: str,
    scheduled_at: datetime | None = None,
    reason: str = "",
) -> VisitState:
    """An officer's action on the visit's running workflow (the caller has found the visit);
    its refusal becomes a 409 with the reason."""
    if client is None:
        raise Conflict("the workflow engine is not reachable; try again shortly")
    try:
        if action in ("schedule", "reschedule"):
            if scheduled_at is None:
                raise Invalid("a visit time is needed", "scheduled_at")
            inp = ScheduleInput(scheduled_at=utc(scheduled_at), actor_id=actor_id, reason=reason)
            if action == "schedule":
                return await wf.schedule_visit(client, visit_id, inp)
            return await wf.reschedule_visit(client, visit_id, inp)
        if action == "done":
            return await wf.visit_done(client, visit_id, DoneInput(actor_id=actor_id, note=reason))
        if action == "cancel":
            return await wf.cancel_visit(
                client, visit_id, CancelInput(actor_id=actor_id, reason=reason)
            )
    except wf.VisitRefused as exc:
        raise Conflict(str(exc)) from None
    raise Invalid("action must be schedule, reschedule, done or cancel", "action")


async def withdraw_unstarted(
    s: AsyncSession, visit_id: str, *, resident_id: str, reason: str = ""
) -> HomeVisit | None:
    """The resident takes back an open request. When its workflow was never started the row is
    cancelled here and returned; None: the workflow cancels it (`withdraw_running`)."""
    v = await s.get(HomeVisit, visit_id, with_for_update=True)
    if v is None:
        raise NotFound(f"no home visit {visit_id}")
    if v.resident_id != resident_id:
        raise Forbidden("this visit belongs to someone else")
    if v.status not in OPEN:
        raise Conflict(f"the visit is already {v.status} and cannot be withdrawn")
    if v.workflow_started or v.status != "requested":
        return None
    v.status, v.seq = "cancelled", v.seq + 1
    text = f"withdrawn by the resident: {reason.strip()}"
    audit(s, "home_visit", v.id, "cancelled", resident_id, reason=text)
    event = _event(c.appointments.HomeVisitCancelled, v, reason=text).model_copy(
        update={"event_id": deterministic_event_id("home_visit", v.id, v.seq)}
    )
    await add_event(s, outbox, event)
    return v


async def withdraw_running(
    client: Client | None, visit_id: str, *, resident_id: str, reason: str = ""
) -> None:
    """The workflow cancels the request (the officer's task goes, both are told)."""
    if client is None:
        raise Conflict("the workflow engine is not reachable; try again shortly")
    try:
        await wf.withdraw_visit(
            client, visit_id, WithdrawInput(resident_id=resident_id, reason=reason)
        )
    except wf.VisitRefused as exc:
        raise Conflict(str(exc)) from None
