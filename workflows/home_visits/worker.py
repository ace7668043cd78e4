"""`python -m workflows.home_visits.worker`: runs the door-to-door workflow and activities."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from shared.config import AppointmentsSettings
from shared.http import client_limits
from shared.logs import setup_logging
from shared.temporal import build_id, connect
from workflows.home_visits.activities import HomeVisitActivities, HttpVisitStore, VisitStore
from workflows.home_visits.workflow import HomeVisitWorkflow


def build_worker(client: Client, task_queue: str, store: VisitStore) -> Worker:
    acts = HomeVisitActivities(store)
    return Worker(
        client,
        task_queue=task_queue,
        build_id=build_id(Path(__file__).resolve().parent),
        workflows=[HomeVisitWorkflow],
        activities=[acts.assign, acts.record],
    )


async def run(settings: AppointmentsSettings) -> None:
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    async with httpx.AsyncClient(
        base_url=settings.service_url, timeout=10.0, limits=client_limits()
    ) as http:
        worker = build_worker(
            client, settings.task_queue, HttpVisitStore(http, settings.internal_token)
        )
        await worker.run()


def main() -> None:
    settings = AppointmentsSettings()
    setup_logging("home-visits-worker", settings.log_level, json_output=settings.log_json)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
