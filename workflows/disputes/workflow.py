"""The dispute lifecycle: screening, assignment, follow-up, linkage, closure, return visit.

State lives in one `CaseState`; every timer is an absolute time in it, so continue-as-new
carries the case whole (open tasks, pending partner requests, cadence) into the next run.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.disputes import actions, rollout, steps
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
                await steps.on_timers(s)
        await workflow.wait_condition(workflow.all_handlers_finished)
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
        await steps.assign(self.s, reason="new case")

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

    @workflow.update(name="act")
    async def act(self, req: ActionRequest) -> CaseView:
        async with self.lock:
            payload = self._refuse_if_invalid(req, replayable=True)
            if payload is not None:
                await actions.perform(self.state, req, payload)
                keys = self.state.applied_keys
                keys.append(req.idempotency_key)
                del keys[:-KEEP_KEYS]
                self.changed = True
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
