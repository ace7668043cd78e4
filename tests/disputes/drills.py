"""Drill helpers: a disputes worker whose activities can be broken on purpose, on its own task
queue, against the real Temporal server and the service's real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from shared.config import DisputesSettings
from tests.disputes.conftest import Service
from workflows.disputes.activities import DisputeActivities
from workflows.disputes.config import load_lifecycle
from workflows.disputes.screening import load_rules
from workflows.disputes.types import Screened, ScreenInput
from workflows.disputes.workflow import DisputeWorkflow


class BreakableActivities(DisputeActivities):
    """The real activities; `broken` names the ones that raise instead (an activity that keeps
    failing: a bad rules file, a bug), counting every attempt."""

    broken: set[str]
    attempts: dict[str, int]

    @activity.defn(name="dispute_screen")
    async def screen(self, req: ScreenInput) -> Screened:
        self.attempts["screen"] = self.attempts.get("screen", 0) + 1
        if "screen" in self.broken:
            raise RuntimeError("the screening rules cannot be read")
        return await super().screen(req)


def breakable_worker(
    client: Client, svc: Service, queue: str, **config: Any
) -> AbstractAsyncContextManager[BreakableActivities]:
    return breakable_worker_on(client, svc.runtime.factory, svc.settings, queue, **config)


@asynccontextmanager
async def breakable_worker_on(
    client: Client,
    factory: async_sessionmaker[AsyncSession],
    settings: DisputesSettings,
    queue: str,
    **config: Any,
) -> AsyncIterator[BreakableActivities]:
    """The worker on the service's own database (`factory`) and files (`settings`)."""
    lifecycle = load_lifecycle(settings.lifecycle_file)
    acts = BreakableActivities(
        factory,
        load_rules(settings.rules_file),
        lifecycle.model_copy(update=config),
    )
    acts.broken, acts.attempts = set(), {}
    async with Worker(client, task_queue=queue, workflows=[DisputeWorkflow], activities=acts.all()):
        yield acts
