"""The door-to-door visit (上门办): assigned to the village officer, scheduled, done.

Each stage has a deadline; a missed deadline escalates the visit to the station chief once
per stage. Officer actions are updates whose validators refuse a wrong action with a reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from shared.temporal import (
        SA_ASSIGNEE,
        SA_STAGE,
        SA_STAGE_DEADLINE,
        SA_STATION,
        SA_TROUBLE,
        STUCK_AFTER_ATTEMPTS,
    )
    from workflows.home_visits.activities import HomeVisitActivities
    from workflows.home_visits.types import (
        AssignInput,
        CancelInput,
        DoneInput,
        ScheduleInput,
        VisitChange,
        VisitInput,
        VisitState,
        WithdrawInput,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=2))
FINAL = ("done", "cancelled")
# since this patch an activity that keeps failing raises the visit's FqTrouble flag (the stuck
# board's visibility query finds it) after STUCK_AFTER_ATTEMPTS attempts, lowered on success
TROUBLE_PATCH = "home-visit-trouble-flag"
# from this long before the visit time the officer is on the way: the resident calls instead
WITHDRAW_CUTOFF = timedelta(hours=1)


@workflow.defn
class HomeVisitWorkflow:
    def __init__(self) -> None:
        self._inp: VisitInput | None = None
        self._stage = "requested"
        self._officer: str | None = None
        self._station: str | None = None
        self._chief: str | None = None
        self._scheduled_at: datetime | None = None
        self._deadline: datetime | None = None
        self._escalated_in: set[str] = set()
        self._seq = 0
        self._version = 0
        self._seen = 0
        self._history: list[str] = []

    @workflow.run
    async def run(self, inp: VisitInput) -> VisitState:
        self._inp = inp
        who = await self._call(HomeVisitActivities.assign, AssignInput(inp.village_code))
        self._officer, self._station, self._chief = who.officer_id, who.station_code, who.chief_id
        self._stage = "assigned"
        self._deadline = workflow.now() + timedelta(hours=inp.schedule_within_hours)
        await self._record("assigned", "system")
        while self._stage not in FINAL:
            self._seen = self._version
            timeout = None
            if self._deadline is not None and self._stage not in self._escalated_in:
                timeout = max((self._deadline - workflow.now()).total_seconds(), 0.001)
            try:
                await workflow.wait_condition(lambda: self._version != self._seen, timeout=timeout)
            except TimeoutError:
                await self._escalate()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _escalate(self) -> None:
        assert self._inp is not None
        self._escalated_in.add(self._stage)
        reason = "not scheduled in time" if self._stage == "assigned" else "visit not done in time"
        if self._chief is not None:
            self._officer = self._chief
        # the chief gets a deadline of their own; it does not escalate again
        self._deadline = workflow.now() + timedelta(hours=self._inp.escalation_hours)
        await self._record("escalated", "system", reason)

    async def _record(self, event: str, actor: str, reason: str = "") -> None:
        assert self._inp is not None
        self._seq += 1
        self._history.append(f"{workflow.now().isoformat()} {event} {actor} {reason}".strip())
        updates: list[SearchAttributeUpdate[Any]] = [
            SA_STAGE.value_set(self._stage),
            SA_ASSIGNEE.value_set(self._officer or ""),
            SA_STATION.value_set(self._station or ""),
        ]
        if self._deadline is not None and self._stage not in FINAL:
            updates.append(SA_STAGE_DEADLINE.value_set(self._deadline))
        else:
            updates.append(SA_STAGE_DEADLINE.value_unset())
        workflow.upsert_search_attributes(updates)
        change = VisitChange(
            visit_id=self._inp.visit_id,
            seq=self._seq,
            event=event,
            stage=self._stage,
            officer_id=self._officer,
            station_code=self._station,
            scheduled_at=self._scheduled_at,
            due_at=self._deadline if self._stage not in FINAL else None,
            escalated=bool(self._escalated_in),
            actor_id=actor,
            reason=reason,
            at=workflow.now(),
        )
        await self._call(HomeVisitActivities.record, change)

    async def _call(self, fn: Any, arg: Any) -> Any:
        """Run an activity until it succeeds; since TROUBLE_PATCH the visit is flagged while its
        activity keeps failing (the second leg's attempts count from 1 again)."""
        if not workflow.patched(TROUBLE_PATCH):
            return await workflow.execute_activity_method(
                fn, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
            )
        first = RetryPolicy(
            maximum_interval=RETRY.maximum_interval, maximum_attempts=STUCK_AFTER_ATTEMPTS
        )
        try:
            return await workflow.execute_activity_method(
                fn, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=first
            )
        except ActivityError as err:
            if err.retry_state != RetryState.MAXIMUM_ATTEMPTS_REACHED:
                raise
        workflow.upsert_search_attributes([SA_TROUBLE.value_set(f"home_visit_{fn.__name__}")])
        result = await workflow.execute_activity_method(
            fn, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )
        workflow.upsert_search_attributes([SA_TROUBLE.value_unset()])
        return result

    def state(self) -> VisitState:
        return VisitState(
            visit_id=self._inp.visit_id if self._inp else "",
            stage=self._stage,
            officer_id=self._officer,
            station_code=self._station,
            scheduled_at=self._scheduled_at,
            deadline=self._deadline,
            escalated=bool(self._escalated_in),
            history=list(self._history),
        )

    @workflow.query
    def current(self) -> VisitState:
        return self.state()

    def _check_actor(self, actor_id: str) -> None:
        if actor_id not in {self._officer, self._chief}:
            raise ValueError("only the assigned officer or the station chief can act on this visit")

    def _check_time(self, when: datetime) -> None:
        if when <= workflow.now():
            raise ValueError("the visit time must be in the future")

    @workflow.update
    async def schedule(self, inp: ScheduleInput) -> VisitState:
        return await self._set_time(inp, "scheduled")

    @schedule.validator
    def _validate_schedule(self, inp: ScheduleInput) -> None:
        if self._stage != "assigned":
            raise ValueError(f"the visit is {self._stage}, not waiting to be scheduled")
        self._check_actor(inp.actor_id)
        self._check_time(inp.scheduled_at)

    @workflow.update
    async def reschedule(self, inp: ScheduleInput) -> VisitState:
        return await self._set_time(inp, "rescheduled")

    @reschedule.validator
    def _validate_reschedule(self, inp: ScheduleInput) -> None:
        if self._stage != "scheduled":
            raise ValueError(f"the visit is {self._stage}; only a scheduled visit can be moved")
        self._check_actor(inp.actor_id)
        self._check_time(inp.scheduled_at)
        if not inp.reason.strip():
            raise ValueError("say why the visit is moved")

    async def _set_time(self, inp: ScheduleInput, event: str) -> VisitState:
        assert self._inp is not None
        self._stage, self._scheduled_at = "scheduled", inp.scheduled_at
        self._deadline = inp.scheduled_at + timedelta(hours=self._inp.done_grace_hours)
        self._escalated_in.discard("scheduled")
        self._version += 1
        await self._record(event, inp.actor_id, inp.reason)
        return self.state()

    @workflow.update
    async def done(self, inp: DoneInput) -> VisitState:
        self._stage = "done"
        self._version += 1
        await self._record("done", inp.actor_id, inp.note)
        return self.state()

    @done.validator
    def _validate_done(self, inp: DoneInput) -> None:
        if self._stage != "scheduled":
            raise ValueError(f"the visit is {self._stage}; schedule it before marking it done")
        self._check_actor(inp.actor_id)

    @workflow.update
    async def cancel(self, inp: CancelInput) -> VisitState:
        self._stage = "cancelled"
        self._version += 1
        await self._record("cancelled", inp.actor_id, inp.reason)
        return self.state()

    @cancel.validator
    def _validate_cancel(self, inp: CancelInput) -> None:
        if self._stage in FINAL or self._stage == "requested":
            raise ValueError(f"the visit is {self._stage} and cannot be cancelled")
        if not inp.reason.strip():
            raise ValueError("say why the visit is cancelled")

    @workflow.update
    async def withdraw(self, inp: WithdrawInput) -> VisitState:
        # a request still being assigned is withdrawn as soon as it has its officer
        await workflow.wait_condition(lambda: self._stage != "requested")
        refusal = self._withdrawal_refused(inp)
        if refusal is not None:
            raise ApplicationError(refusal, type="VisitRefused", non_retryable=True)
        self._stage = "cancelled"
        self._version += 1
        reason = inp.reason.strip()
        await self._record("cancelled", inp.resident_id, f"withdrawn by the resident: {reason}")
        return self.state()

    @withdraw.validator
    def _validate_withdraw(self, inp: WithdrawInput) -> None:
        refusal = self._withdrawal_refused(inp)
        if refusal is not None:
            raise ValueError(refusal)

    def _withdrawal_refused(self, inp: WithdrawInput) -> str | None:
        if self._inp is None:
            return "the visit is still being registered; try again in a moment"
        if inp.resident_id != self._inp.resident_id:
            return "only the resident who asked for the visit can withdraw it"
        if self._stage in FINAL:
            return f"the visit is already {self._stage}"
        if (
            self._stage == "scheduled"
            and self._scheduled_at is not None
            and workflow.now() >= self._scheduled_at - WITHDRAW_CUTOFF
        ):
            return "the visit is under way (the officer is on the way); call the police room"
        return None
