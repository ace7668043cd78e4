"""The shape of an officer task as every service's internal API returns it.

The portal merges these lists (disputes, online applications, door-to-door visits) into the
officer's one task list, overdue first, then by due time.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class TaskRead(BaseModel):
    task_id: str
    # accept | follow_up | linkage | closure_approval | return_visit | application | home_visit
    kind: str
    title: str
    ref_id: str  # the case / application / visit the task belongs to
    assignee_id: str | None
    colour: str | None = None  # red | yellow | green for dispute tasks
    village_code: str | None = None
    station_code: str | None = None
    due_at: datetime | None = None
    overdue: bool = False
    portal_path: str  # where the officer acts on it, e.g. /cases/<id>


class TaskPage(BaseModel):
    items: list[TaskRead]
    counts: dict[str, int]
