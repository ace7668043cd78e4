"""A new lifecycle configuration reaching a running case on purpose: an administrator's batch
(services/disputes/rollout.py) sends each chosen case the `roll-out-lifecycle` update. The case
takes the new deadlines and cadences from then on (open tasks and the next follow-up move with
them, like a regrade) and writes the change to its timeline and audit. Cases not rolled keep the
configuration they started with."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from workflows.disputes.steps import accept_window, apply, cadence, grace
from workflows.disputes.types import CaseState, LifecycleConfig, Stage

LIVE = (Stage.ASSIGNMENT, Stage.FOLLOW_UP, Stage.CLOSURE_APPROVAL, Stage.RETURN_VISIT)


class LifecycleRollout(BaseModel):
    """The argument of the `roll-out-lifecycle` update (carried in history)."""

    model_config = ConfigDict(extra="ignore")

    config: LifecycleConfig
    version: str = Field(min_length=1, max_length=64)
    reason: str = ""
    actor_id: str = "system"
    idempotency_key: str = ""


class RolloutRefused(Exception):
    pass


def check(s: CaseState, r: LifecycleRollout) -> None:
    """State conditions only (they replay): the case is live and not on this version yet."""
    if s.stage not in LIVE:
        raise RolloutRefused(f"the case is {s.stage}: nothing to roll out to")
    if s.lifecycle_version == r.version:
        raise RolloutRefused(f"the case already runs lifecycle {r.version}")


async def roll_out(s: CaseState, r: LifecycleRollout) -> None:
    s.config = r.config
    s.lifecycle_version = r.version
    due_changes: dict[str, datetime] = {}
    for t in s.tasks:
        if t.kind == "accept":
            t.due_at = t.opened_at + accept_window(s)
        elif t.kind == "follow_up":
            t.due_at = t.opened_at + grace(s)
        elif t.kind == "closure_approval":
            t.due_at = t.opened_at + timedelta(hours=s.config.closure_approval_hours)
        else:
            continue  # a partner's deadline was agreed with the partner; it stays
        due_changes[t.task_id] = t.due_at
    if s.stage == Stage.FOLLOW_UP and s.last_follow_up_at is not None:
        s.next_follow_up_at = s.last_follow_up_at + cadence(s)
    await apply(
        s,
        "lifecycle_rolled_out",
        actor=r.actor_id,
        note=f"lifecycle {r.version}: {r.reason}".strip(": "),
        due_changes=due_changes,
        audit="lifecycle-rollout",
    )
