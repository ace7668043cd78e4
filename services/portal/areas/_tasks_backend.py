"""The user's task list across the services that have tasks (disputes, appointments), each
read as the shared `TaskPage` (shared/tasks.py) through the portal's one backend client; the
ordering, filters and counts the task pages and the JSON API share."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
from fastapi import HTTPException

from services.portal.backend import call_service
from services.portal.deps import ServiceClients, User
from shared.tasks import COUNTY_DESK, TaskPage, TaskRead

log = logging.getLogger("fengqiao.portal.disputes")


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def task_order(task: TaskRead) -> tuple[int, datetime]:
    due = _aware(task.due_at) or datetime.max.replace(tzinfo=UTC)
    return (0 if task.overdue else 1, due)


async def _task_page(client: httpx.AsyncClient, name: str, user: User) -> TaskPage:
    """The user's tasks; an administrator also holds the county duty desk's (cases no officer
    accepted, escalated to the county)."""
    pages = []
    for assignee in (user.user_id, *((COUNTY_DESK,) if user.role == "admin" else ())):
        pages.append(
            await call_service(
                client,
                f"the task list of the {name} service",
                "GET",
                "/tasks",
                user,
                answer=TaskPage,
                params={"assignee": assignee},
            )
        )
    items = [t for p in pages for t in p.items]
    counts: dict[str, int] = {}
    for p in pages:
        for k, n in p.counts.items():
            counts[k] = counts.get(k, 0) + n
    return TaskPage(items=items, counts=counts)


async def merged_tasks(clients: ServiceClients, user: User) -> tuple[list[TaskRead], list[str]]:
    """The user's open tasks from every service that has them; the names of services that did
    not answer (their tasks are missing from the list)."""
    tasks: list[TaskRead] = []
    missing: list[str] = []
    for name, client in (("disputes", clients.disputes), ("appointments", clients.appointments)):
        try:
            tasks.extend((await _task_page(client, name, user)).items)
        except HTTPException as exc:
            log.warning("disputes area: task list of %s unavailable: %s", name, exc.detail)
            missing.append(name)
    tasks.sort(key=task_order)
    return tasks, missing


def filter_tasks(
    tasks: list[TaskRead], *, colour: str | None, village: str | None, kind: str | None
) -> list[TaskRead]:
    return [
        t
        for t in tasks
        if (not colour or t.colour == colour)
        and (not village or t.village_code == village)
        and (not kind or t.kind == kind)
    ]


def counts_by_kind(tasks: list[TaskRead]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.kind] = counts.get(t.kind, 0) + 1
    return counts
