"""View models of the disputes area: a case as the disputes service (its typed answer,
shared.contracts.disputes_read.CaseRead) and the workflow (CaseView) tell it, as pages and the
public API show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from shared.contracts.disputes_read import CaseRead
from shared.pii import mask_id_number, mask_phone
from shared.tasks import assume_utc


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    _utc = field_validator("*")(assume_utc)


class PartyOut(_In):
    name: str = ""
    phone: str = ""
    id_number: str | None = None
    role: str = "other"
    user_id: str | None = None


class EarlierCase(_In):
    case_id: str
    case_no: str = ""
    colour: str = ""
    stage: str = ""
    category: str = ""
    reported_at: datetime | None = None


class HouseholdOut(_In):
    household_id: str
    name: str = ""
    earlier_cases: list[EarlierCase] = []


class ColourChangeOut(_In):
    at: datetime
    previous: str | None = None
    colour: str
    rules_fired: list[str] = []
    reason: str = ""
    by: str = ""


class TimelineOut(_In):
    seq: int = 0
    at: datetime
    kind: str
    actor_id: str = ""
    stage: str = ""
    colour: str = ""
    note: str = ""
    data: dict[str, Any] = {}


class PartnerRequestOut(_In):
    request_id: str
    partner: str
    request: str = ""
    deadline: datetime | None = None
    answer: str | None = None
    escalated: bool = False
    partner_code: str | None = None
    answered_by: str | None = None
    answered_by_name: str | None = None
    answered_at: datetime | None = None


class CaseDetail(_In):
    """The case as the disputes service tells it, refreshed from the workflow when it runs."""

    case_id: str
    case_no: str = ""
    category: str = "other"
    description: str = ""
    stage: str
    colour: str = "green"
    rules_fired: list[str] = []
    colour_history: list[ColourChangeOut] = []
    assignee_id: str | None = None
    assignee_name: str | None = None
    station_code: str | None = None
    village_code: str = ""
    village_name: str | None = None
    township: str | None = None
    reporter_kind: str | None = None
    reporter_id: str | None = None
    reported_at: datetime | None = None
    stage_since: datetime | None = None
    stage_deadline: datetime | None = None
    next_follow_up_at: datetime | None = None
    settlement: str | None = None
    risk: dict[str, Any] = {}
    resident_ids: list[str] = []
    parties: list[PartyOut] = []
    households: list[HouseholdOut] = []
    timeline: list[TimelineOut] = []
    partner_requests: list[PartnerRequestOut] = []
    allowed_actions: list[str] = []

    @classmethod
    def of(cls, case: CaseRead) -> CaseDetail:
        """The page's case from the service's answer (shared.contracts.disputes_read)."""
        return cls.model_validate(case, from_attributes=True)

    def involves(self, user_id: str) -> bool:
        return (
            user_id in self.resident_ids
            or self.reporter_id == user_id
            or any(p.user_id == user_id for p in self.parties)
        )

    def masked(self) -> CaseDetail:
        parties = [
            p.model_copy(
                update={
                    "phone": mask_phone(p.phone),
                    "id_number": mask_id_number(p.id_number) or None,
                }
            )
            for p in self.parties
        ]
        return self.model_copy(update={"parties": parties})
