"""The shape of an officer task as every service's internal API returns it.

The portal merges these lists (disputes, online applications, door-to-door visits) into the
officer's one task list, overdue first, then by due time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, field_validator


def assume_utc(value: Any) -> Any:
    """A timestamp read back without its offset (SQLite keeps none) is UTC, as every service
    writes it: so every timestamp a client reads is ISO 8601 with an offset."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class TaskKind(StrEnum):
    # a dispute's (opened by its workflow)
    ACCEPT = "accept"
    FOLLOW_UP = "follow_up"
    LINKAGE = "linkage"
    CLOSURE_APPROVAL = "closure_approval"
    RETURN_VISIT = "return_visit"
    COUNTY_REVIEW = "county_review"  # a case no officer accepted, for the county duty desk
    # the appointment desk's
    APPLICATION = "application"
    HOME_VISIT = "home_visit"


# the county bureau's duty desk: the assignee of county_review tasks, on the administrators'
# task list
COUNTY_DESK = "county-desk"


class TaskRead(BaseModel):
    task_id: str
    kind: TaskKind
    title: str
    ref_id: str  # the case / application / visit the task belongs to
    assignee_id: str | None
    colour: str | None = None  # red | yellow | green for dispute tasks
    village_code: str | None = None
    station_code: str | None = None
    due_at: datetime | None = None
    overdue: bool = False

    _utc = field_validator("due_at")(assume_utc)


class TaskPage(BaseModel):
    items: list[TaskRead]
    counts: dict[str, int]
