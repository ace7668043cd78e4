"""The dispute lifecycle: screening, assignment, follow-up, linkage, closure, return visit.

State lives in one `CaseState`; every timer is an absolute time in it, so continue-as-new
carries the case whole (open tasks, pending partner requests, cadence) into the next run.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.disputes import actions, assignment, notices, rollout, steps, timers
from workflows.disputes.rollout import LifecycleRollout, RolloutRefused
from workflows.disputes.rules_of_action import (
    Refused,
    accepted_payload,
    allowed_actions,
    check,
    check_state,
)
from workflows.disputes.types import (
    ActionRequest,
    CaseState,
    CaseView,
    ConfigRequest,
    RegisterInput,
    Stage,
    StartInput,
)

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from workflows.disputes.activities import DisputeActivities

KEEP_KEYS = 500
FINISHED = (Stage.CLOSED, Stage.CANCELLED)
# supervisor actions that must not queue behind a failing step (steps.PREEMPT_PATCH)
BOARD_ACTIONS = ("cancel", "reassign", "escalate")
# how long a board action waits for its record, then for the lock (PREEMPT_GRACE frees it)
BOARD_WAIT = timedelta(seconds=3)


@workflow.defn(name="DisputeWorkflow")
class DisputeWorkflow:
    @workflow.init
    def __init__(self, inp: StartInput) -> None:
        # A continued run has its state before any handler runs: an update delivered in the
        # run's first activation must not be refused as "still being registered".
        self.s: CaseState | None = inp.state
        if self.s is not None:
            self.s.runs += 1
        self.lock = asyncio.Lock()
        self.changed = False
        # board actions waiting for the lock: steps.call interrupts a running step for them
        self.board_actions_waiting = 0
        self.preempted = False

    @workflow.run
    async def run(self, inp: StartInput) -> CaseView:
        if inp.state is None:  # a continued run got its state in __init__ (no lock taken:
            async with self.lock:  # recorded continued runs start their loop at once)
                await self._start(inp)
        s = self.state
        while s.stage not in FINISHED:
            if (
                workflow.info().get_current_history_length()
                >= s.config.continue_as_new_after_events
            ):
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self.lock.locked()
                )
                workflow.continue_as_new(StartInput(intake=inp.intake, state=s))
            self.changed = False
            due = steps.next_due(s)
            timeout = None if due is None else max(due - workflow.now(), timedelta(seconds=1))
            try:
                await workflow.wait_condition(lambda: self.changed, timeout=timeout)
            except TimeoutError:
                pass
            async with self.lock:
                try:
                    await self._resume_if_preempted()
                    await timers.on_timers(s)
                    await notices.send_pending(s)
                except steps.Preempted:
                    self.preempted = True
        # a board action's record may still run after its update answered (it holds the lock)
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and not self.lock.locked()
        )
        return self.view()

    @property
    def state(self) -> CaseState:
        assert self.s is not None
        return self.s

    async def _start(self, inp: StartInput) -> None:
        intake = inp.intake
        config = await steps.call(
            DisputeActivities.load_config, ConfigRequest(case_id=intake.case_id)
        )
        if inp.lifecycle is not None:  # same commands: only the durations differ
            config = config.model_copy(update=inp.lifecycle.model_dump())
        reg = await steps.call(
            DisputeActivities.register,
            RegisterInput(intake=intake),
            non_retryable=["UnknownVillage"],
        )
        self.s = CaseState(
            config=config,
            case_id=intake.case_id,
            case_no=reg.case_no,
            village_code=intake.village_code,
            station_code=reg.station_code,
            chief_id=reg.chief_id,
            household_ids=sorted({h.household_id for h in intake.households}),
            resident_ids=intake.resident_ids,
            reporter_id=intake.reporter_id,
            risk=intake.risk,
            colour=reg.colour,
            rules_fired=reg.rules_fired,
            reported_in_field_at=intake.reported_in_field_at,
        )
        await steps.reported(self.s, intake)
        await steps.regrade(
            self.s,
            reg.colour,
            reg.rules_fired,
            reason=f"intake screening ({reg.household_cases} earlier household cases)",
            by="system",
            previous=None,
        )
        await assignment.assign(self.s, reason="new case")

    # --- officer and supervisor actions ----------------------------------------------------

    def _refuse_if_invalid(self, req: ActionRequest, *, replayable: bool) -> BaseModel | None:
        """None for a retried request; else the payload, or ActionRefused with the reason.
        The handler (`replayable`) re-checks only state conditions, never payload limits."""
        if self.s is None:
            raise ApplicationError("the case is still being registered", non_retryable=True)
        if req.idempotency_key in self.s.applied_keys:
            return None
        try:
            if not replayable:
                return check(self.s, req)
            payload = accepted_payload(req)
            check_state(self.s, req, payload)
            return payload
        except Refused as exc:
            raise ApplicationError(str(exc), type="ActionRefused", non_retryable=True) from None

    async def _resume_if_preempted(self) -> None:
        """A step interrupted by a board action may have left the case between an escalation
        and the next assignment: finish that (the board action itself has run by now)."""
        if not self.preempted:
            return
        self.preempted = False
        s = self.state
        if s.stage == Stage.ASSIGNMENT and not steps.tasks_of(s, "accept"):
            await assignment.assign(s, reason="assignment resumed after a board action")

    @workflow.update(name="act")
    async def act(self, req: ActionRequest) -> CaseView:
        if req.action in BOARD_ACTIONS and workflow.patched(steps.PREEMPT_PATCH):
            return await self._board_action(req)
        async with self.lock:
            await self._perform(req)
            return self.view()

    async def _perform(self, req: ActionRequest, *, board: bool = False) -> None:
        payload = self._refuse_if_invalid(req, replayable=True)
        if payload is None:
            return
        if board:  # it answers before its record is done: a retry must find it applied
            self._applied(req)
        try:
            await actions.perform(self.state, req, payload)
        except steps.Preempted:
            # the action took effect in the case; a later board action interrupted its record
            self.preempted = True
        if not board:
            self._applied(req)

    def _applied(self, req: ActionRequest) -> None:
        keys = self.state.applied_keys
        keys.append(req.idempotency_key)
        del keys[:-KEEP_KEYS]
        self.changed = True

    async def _board_action(self, req: ActionRequest) -> CaseView:
        """Cancel, reassign and escalate take effect at once: a step holding the lock is
        interrupted (steps.Preempted); the action changes the case as soon as it holds the lock
        and the update answers then, while its record (an activity that may itself keep
        failing) goes on in the background, still holding the lock."""
        started = False

        async def run() -> None:
            nonlocal started
            waiting = self.lock.locked()
            self.board_actions_waiting += waiting
            try:
                async with self.lock:
                    self.board_actions_waiting -= waiting
                    waiting = False
                    started = True
                    await self._perform(req, board=True)
            finally:
                self.board_actions_waiting -= waiting

        task = asyncio.create_task(run())
        try:  # a healthy case answers when the action's record is done too
            await workflow.wait_condition(task.done, timeout=BOARD_WAIT)
        except TimeoutError:
            try:
                await workflow.wait_condition(lambda: task.done() or started, timeout=BOARD_WAIT)
            except TimeoutError:
                pass
        if task.done():
            task.result()  # a refusal raised inside the lock reaches the caller
        return self.view()

    @act.validator
    def validate_act(self, req: ActionRequest) -> None:
        self._refuse_if_invalid(req, replayable=False)

    # --- an administrator's lifecycle roll-out (added beside `act`) ---------------------------

    def _refuse_rollout(self, r: LifecycleRollout) -> bool:
        """False for a retried request; ApplicationError with the reason if refused."""
        if self.s is None:
            raise ApplicationError("the case is still being registered", non_retryable=True)
        if r.idempotency_key and r.idempotency_key in self.s.applied_keys:
            return False
        try:
            rollout.check(self.s, r)
        except RolloutRefused as exc:
            raise ApplicationError(str(exc), type="ActionRefused", non_retryable=True) from None
        return True

    @workflow.update(name="roll-out-lifecycle")
    async def roll_out_lifecycle(self, r: LifecycleRollout) -> CaseView:
        async with self.lock:
            if self._refuse_rollout(r):
                await rollout.roll_out(self.state, r)
                if r.idempotency_key:
                    self.state.applied_keys.append(r.idempotency_key)
                    del self.state.applied_keys[:-KEEP_KEYS]
                self.changed = True
            return self.view()

    @roll_out_lifecycle.validator
    def validate_roll_out_lifecycle(self, r: LifecycleRollout) -> None:
        self._refuse_rollout(r)

    @workflow.query(name="view")
    def view(self) -> CaseView:
        if self.s is None:
            raise ApplicationError("the case is still being registered")
        s = self.s
        return CaseView(
            case_id=s.case_id,
            case_no=s.case_no,
            stage=s.stage,
            colour=s.colour,
            rules_fired=s.rules_fired,
            colour_history=s.colour_history,
            assignee_id=s.assignee_id,
            station_code=s.station_code,
            village_code=s.village_code,
            stage_deadline=steps.stage_deadline(s),
            next_follow_up_at=s.next_follow_up_at,
            partner_requests=s.partner_requests,
            open_tasks=[t.task_id for t in s.tasks],
            helper_ids=s.helper_ids,
            settlement=s.settlement,
            allowed_actions=allowed_actions(s),
            history_length=workflow.info().get_current_history_length(),
            runs=s.runs,
            lifecycle_version=s.lifecycle_version,
        )
