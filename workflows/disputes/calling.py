"""How the workflow runs an activity: unlimited retries with the FqTrouble flag, (since
PREEMPT_PATCH) interruptible by a waiting board action, and (since LOCAL_PATCH) a short
database step's first attempt run as a local activity."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError, FailureError, RetryState

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


# Since LOCAL_PATCH, the first attempt of a short, idempotent database step runs as a local
# activity inside the workflow task that asked for it: no trip through the server's activity
# queue and no second workflow task (an officer's action is answered in one). If that attempt
# fails or outlasts LOCAL_TIMEOUT, the step goes on as an ordinary activity, so a step that keeps
# failing is pending on the server, where the stuck board shows it and can pause, resume or retry
# it, and where a board action can preempt it. The partner notice (outbound) is never local.
LOCAL_PATCH = "short-steps-first-as-local-activities"
LOCAL_FIRST = frozenset(
    (
        "dispute_config",
        "dispute_register",
        "dispute_screen",
        "dispute_pick_officer",
        "dispute_apply",
    )
)
# a healthy step takes milliseconds; a board action may wait this long for a hung one
LOCAL_TIMEOUT = timedelta(seconds=2)


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


async def _local_attempt(name: str, arg: Any, result_type: type | None) -> tuple[bool, Any]:
    """(True, result) if the one local attempt succeeded; (False, None) if it failed in any way:
    the step then goes on as an ordinary activity, which decides as before (a non-retryable
    failure reaches the caller as its ActivityError, with its event in the history)."""
    try:
        result = await workflow.execute_local_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
    except CancelledError:
        raise
    except FailureError:  # the SDK raises a local attempt's own failure, not an ActivityError
        return False, None
    return True, result


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
    reassign never queue behind an activity that keeps failing.

    Since LOCAL_PATCH, a LOCAL_FIRST step tries once as a local activity first; only if that
    fails does it go on as above, with one attempt fewer before the flag."""
    preemptible = workflow.patched(PREEMPT_PATCH)
    attempts = STUCK_AFTER_ATTEMPTS
    name = activity_name(fn)
    if name in LOCAL_FIRST and workflow.patched(LOCAL_PATCH):
        done, found = await _local_attempt(name, arg, in_sandbox(fn))
        if done:
            result: R = found
            return result
        attempts -= 1  # the flag still goes up after STUCK_AFTER_ATTEMPTS failures in all
    first = RetryPolicy(
        maximum_interval=MAX_BACKOFF,
        maximum_attempts=attempts,
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


__all__ = ["LOCAL_PATCH", "PREEMPT_PATCH", "Preempted", "call"]
