"""Where the portal shows a thing the services name by id: the services send ids and kinds,
never the portal's URLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from shared.tasks import TaskKind

DESK_TASK_PAGES = {
    TaskKind.APPLICATION: "/appointments/staff/applications/{}",
    TaskKind.HOME_VISIT: "/appointments/staff/home-visits/{}",
}


def task_path(task: Mapping[str, Any] | Any) -> str:
    """The page where an officer acts on a task (a `shared.tasks.TaskRead` or its JSON)."""
    kind = task["kind"] if isinstance(task, Mapping) else task.kind
    ref_id = task["ref_id"] if isinstance(task, Mapping) else task.ref_id
    page = DESK_TASK_PAGES.get(kind, "/cases/{}")  # every other kind is a dispute's
    return page.format(quote(str(ref_id), safe=""))
