"""How the workflow runs an activity: unlimited retries with the FqTrouble flag, and (since
PREEMPT_PATCH) interruptible by a waiting board action; since LOCAL_FIRST_PATCH, one attempt
as a local activity first (no round trip through the server for a healthy step)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError, RetryState

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


LOCAL_FIRST_PATCH = "db-steps-local-first"
# A healthy step takes milliseconds; one slower than this goes the regular way (and a board
# action waits at most this long behind it, as it would for PREEMPT_GRACE).
LOCAL_TIMEOUT = timedelta(seconds=2)
ONCE = RetryPolicy(maximum_attempts=1)


class Preempted(Exception):
    """A board action (cancel, reassign, escalate) interrupted a step whose activity was still
    running: the activity is cancelled and the lock goes to the board action."""


def board_action_waiting() -> bool:
    return bool(getattr(workflow.instance(), "board_actions_waiting", 0))


def in_board_action() -> bool:
    """A board action's record runs as a regular activity: it answers on a timer while its
    record goes on in the background, and a local activity there hung the case (corpus path
    regrade_by_officer_and_chief_escalate_reassign_cancel)."""
    return bool(getattr(workflow.instance(), "board_action_running", False))


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


class _LocalFailed(Exception):
    pass


async def _local_once(fn: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """One attempt as a local activity, or _LocalFailed. Every activity is idempotent
    (activities.py): an attempt that committed and then failed or timed out is harmless when
    the regular activity runs the step again."""
    try:
        found: R = await workflow.execute_local_activity(
            activity_name(fn),
            arg,
            result_type=in_sandbox(fn),
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=ONCE,
        )
    except ActivityError as err:
        if isinstance(err.cause, CancelledError):
            raise
        raise _LocalFailed(fn.__name__) from None
    return found


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

    Since LOCAL_FIRST_PATCH the first attempt is a local activity (its result is recorded as a
    marker); if it fails, the regular activity takes over with one attempt fewer in its first
    leg, so the flag still goes up after STUCK_AFTER_ATTEMPTS failed attempts in all, the board
    counts as before, and a failing step stays preemptible and visible as a pending activity."""
    preemptible = workflow.patched(PREEMPT_PATCH)
    tried_locally = 0
    if workflow.patched(LOCAL_FIRST_PATCH) and not in_board_action():
        try:
            return await _local_once(fn, arg)
        except _LocalFailed:
            tried_locally = 1
    first = RetryPolicy(
        maximum_interval=MAX_BACKOFF,
        maximum_attempts=STUCK_AFTER_ATTEMPTS - tried_locally,
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


__all__ = ["LOCAL_FIRST_PATCH", "PREEMPT_PATCH", "Preempted", "call"]
