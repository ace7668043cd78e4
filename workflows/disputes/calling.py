"""How the workflow runs an activity: unlimited retries with the FqTrouble flag, and (since
PREEMPT_PATCH) interruptible by a waiting board action."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, RetryState

with workflow.unsafe.imports_passed_through():
    from shared.temporal import SA_TROUBLE, STUCK_AFTER_ATTEMPTS

from workflows.disputes.sandbox import activity_name, in_sandbox

ACTIVITY_TIMEOUT = timedelta(seconds=10)
MAX_BACKOFF = timedelta(seconds=30)
A = TypeVar("A")
R = TypeVar("R")


PREEMPT_PATCH = "board-actions-preempt-failing-steps"
# How long a step may still finish once a board action waits (a healthy activity takes ms).
PREEMPT_GRACE = timedelta(seconds=2)


class Preempted(Exception):
    """A board action (cancel, reassign, escalate) interrupted a step whose activity was still
    running: the activity is cancelled and the lock goes to the board action."""


def board_action_waiting() -> bool:
    return bool(getattr(workflow.instance(), "board_actions_waiting", 0))


async def _bounded(
    fn: Callable[[Any, A], Awaitable[R]], arg: A, policy: RetryPolicy, *, preemptible: bool
) -> R:
    # by name, with the result decoded into the sandbox's own class (sandbox.py)
    name, result_type = activity_name(fn), in_sandbox(fn)
    if not preemptible:
        found: R = await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=policy,
        )
        return found
    handle = workflow.start_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=policy,
    )
    await workflow.wait_condition(lambda: handle.done() or board_action_waiting())
    if not handle.done():
        try:
            await workflow.wait_condition(handle.done, timeout=PREEMPT_GRACE)
        except TimeoutError:
            handle.cancel()
            try:
                await handle
            except (ActivityError, asyncio.CancelledError):
                pass
            raise Preempted(fn.__name__) from None
    result: R = await handle
    return result


async def call(
    fn: Callable[[Any, A], Awaitable[R]], arg: A, *, non_retryable: list[str] | None = None
) -> R:
    """Run an activity until it succeeds, as Temporal's unlimited retries would, but raise the
    case's FqTrouble flag (the activity's name) after STUCK_AFTER_ATTEMPTS failed attempts and
    lower it once the activity succeeds: the stuck board finds such cases by one visibility
    query. The second leg starts at once and then waits 8, 16, 30, 30 ... s between attempts;
    its attempts count from 1 again (the board adds the first leg's to what it shows).

    Since PREEMPT_PATCH, a board action waiting for the case's lock interrupts the step (after
    PREEMPT_GRACE): the activity is cancelled and `Preempted` unwinds the step, so cancel and
    reassign never queue behind an activity that keeps failing."""
    preemptible = workflow.patched(PREEMPT_PATCH)
    first = RetryPolicy(
        maximum_interval=MAX_BACKOFF,
        maximum_attempts=STUCK_AFTER_ATTEMPTS,
        non_retryable_error_types=non_retryable,
    )
    try:
        return await _bounded(fn, arg, first, preemptible=preemptible)
    except ActivityError as err:
        if err.retry_state != RetryState.MAXIMUM_ATTEMPTS_REACHED:
            raise  # a non-retryable error: the caller decides
    workflow.upsert_search_attributes([SA_TROUBLE.value_set(fn.__name__)])
    backoff = timedelta(seconds=min(2**STUCK_AFTER_ATTEMPTS, MAX_BACKOFF.total_seconds()))
    rest = RetryPolicy(
        initial_interval=backoff,
        maximum_interval=MAX_BACKOFF,
        non_retryable_error_types=non_retryable,
    )
    try:
        result = await _bounded(fn, arg, rest, preemptible=preemptible)
    except Preempted:
        workflow.upsert_search_attributes([SA_TROUBLE.value_unset()])
        raise
    workflow.upsert_search_attributes([SA_TROUBLE.value_unset()])
    return result


__all__ = ["PREEMPT_PATCH", "Preempted", "call"]
