"""The door-to-door paths the corpus records, on the time-skipping server (its deadlines are
whole hours and days). Paths run one after another: they share the server's clock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from shared.temporal import home_visit_workflow_id
from workflows.home_visits import client as wf
from workflows.home_visits.types import (
    Assignment,
    CancelInput,
    DoneInput,
    ScheduleInput,
    VisitChange,
    VisitInput,
    WithdrawInput,
)

OFFICER, CHIEF, JIANGHE = "off-0001", "chief-SYZ01", "VYZ0101"


class MemoryStore:
    def __init__(self) -> None:
        self.changes: list[VisitChange] = []

    async def apply(self, change: VisitChange) -> None:
        self.changes.append(change)

    async def assignment(self, village_code: str | None) -> Assignment:
        """The demo's Jianghe village: its room's officer, the Touying station chief."""
        if village_code == JIANGHE:
            return Assignment(OFFICER, CHIEF.removeprefix("chief-"), CHIEF)
        return Assignment(None, None, None)


@dataclass
class Visit:
    env: WorkflowEnvironment
    client: Client
    store: MemoryStore
    task_queue: str
    visit_id: str = ""

    async def begin(self) -> str:
        self.visit_id = "H" + uuid.uuid4().hex[:8]
        inp = VisitInput(
            visit_id=self.visit_id,
            resident_id="res-demo-0001",
            service_code="hukou",
            village_code=JIANGHE,
        )
        await wf.start_visit(self.client, inp, task_queue=self.task_queue)
        await self.until("assigned")
        return self.visit_id

    async def until(self, event: str) -> None:
        for _ in range(400):
            if any(c.visit_id == self.visit_id and c.event == event for c in self.store.changes):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{event} not reached")

    async def at(self, hours: float) -> ScheduleInput:
        when = await self.env.get_current_time() + timedelta(hours=hours)
        return ScheduleInput(scheduled_at=when, actor_id=OFFICER)

    async def finished(self) -> None:
        await self.client.get_workflow_handle(home_visit_workflow_id(self.visit_id)).result()


Drive = Callable[[Visit], Awaitable[None]]
PATHS: list[tuple[str, Drive]] = []


def path(fn: Drive) -> Drive:
    PATHS.append((fn.__name__, fn))
    return fn


@path
async def scheduled_then_done(v: Visit) -> None:
    vid = await v.begin()
    await wf.schedule_visit(v.client, vid, await v.at(24))
    await wf.visit_done(v.client, vid, DoneInput(actor_id=OFFICER, note="材料已收"))


@path
async def rescheduled_then_done(v: Visit) -> None:
    vid = await v.begin()
    await wf.schedule_visit(v.client, vid, await v.at(24))
    moved = await v.at(30)
    moved.reason = "村民外出"
    await wf.reschedule_visit(v.client, vid, moved)
    await wf.visit_done(v.client, vid, DoneInput(actor_id=OFFICER))


@path
async def cancelled_before_scheduling(v: Visit) -> None:
    vid = await v.begin()
    await wf.cancel_visit(v.client, vid, CancelInput(actor_id=OFFICER, reason="已到窗口办理"))


@path
async def cancelled_after_scheduling(v: Visit) -> None:
    vid = await v.begin()
    await wf.schedule_visit(v.client, vid, await v.at(24))
    await wf.cancel_visit(v.client, vid, CancelInput(actor_id=CHIEF, reason="村民取消"))


@path
async def unscheduled_escalates_then_chief_schedules_and_done(v: Visit) -> None:
    vid = await v.begin()
    await v.env.sleep(timedelta(hours=49))
    await v.until("escalated")
    when = await v.at(12)
    when.actor_id = CHIEF
    await wf.schedule_visit(v.client, vid, when)
    await wf.visit_done(v.client, vid, DoneInput(actor_id=CHIEF, note="所长上门"))


@path
async def missed_visit_escalates_then_done(v: Visit) -> None:
    vid = await v.begin()
    await wf.schedule_visit(v.client, vid, await v.at(1))
    await v.env.sleep(timedelta(hours=26))
    await v.until("escalated")
    await wf.visit_done(v.client, vid, DoneInput(actor_id=CHIEF, note="补办"))


@path
async def withdrawn_by_the_resident_before_scheduling(v: Visit) -> None:
    vid = await v.begin()
    refused = WithdrawInput(resident_id="res-demo-0002", reason="不是我的")
    try:
        await wf.withdraw_visit(v.client, vid, refused)
    except wf.VisitRefused:
        pass  # the validator refuses someone else's withdrawal
    else:
        raise AssertionError("another resident withdrew the visit")
    await wf.withdraw_visit(
        v.client, vid, WithdrawInput(resident_id="res-demo-0001", reason="已到窗口办理")
    )


@path
async def withdrawn_by_the_resident_after_scheduling(v: Visit) -> None:
    vid = await v.begin()
    await wf.schedule_visit(v.client, vid, await v.at(48))
    await wf.withdraw_visit(
        v.client, vid, WithdrawInput(resident_id="res-demo-0001", reason="误报")
    )
