"""The stages of a dispute, and which of them count as open or live, for everyone who asks:
the workflow, the disputes service's board and task list, the portal's pages."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    SCREENING = "screening"
    ASSIGNMENT = "assignment"
    FOLLOW_UP = "follow_up"
    CLOSURE_APPROVAL = "closure_approval"
    RETURN_VISIT = "return_visit"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Being worked towards a settlement: an officer owes the next step, so the case can be stuck,
# overdue or cancelled.
OPEN_STAGES: tuple[Stage, ...] = (Stage.ASSIGNMENT, Stage.FOLLOW_UP, Stage.CLOSURE_APPROVAL)
# The workflow still runs (settled cases wait for their return visit): it answers queries and
# can be reassigned or escalated.
LIVE_STAGES: tuple[Stage, ...] = (*OPEN_STAGES, Stage.RETURN_VISIT)
