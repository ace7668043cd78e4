"""The linkage (协调联动) as a partner organisation sees it: the shapes the disputes service's
internal API returns and the portal shows. Only what the linkage needs: no ID numbers, phones
masked, no other organisation's requests."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, field_validator

from shared.tasks import assume_utc


class PartnerOrgRead(BaseModel):
    code: str
    kind: str
    name: str
    township: str
    station_code: str
    village_codes: list[str]


class LinkageRead(BaseModel):
    """One request sent to the organisation, with its deadline and (once given) its answer."""

    request_id: str
    case_id: str
    case_no: str
    category: str
    village_code: str
    village_name: str
    request: str
    requested_at: datetime
    deadline: datetime | None
    overdue: bool = False
    open: bool = True  # False once answered, or when the case closed without an answer
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    answered_by_name: str | None = None

    _utc = field_validator("requested_at", "deadline", "answered_at")(assume_utc)


class LinkagePage(BaseModel):
    partner: PartnerOrgRead
    items: list[LinkageRead]


class PartyBrief(BaseModel):
    name: str
    role: str
    phone: str  # masked (139****5678)


class PartnerCaseRead(BaseModel):
    """A case linked to the organisation: what the dispute is, who is in it, what was asked."""

    case_id: str
    case_no: str
    category: str
    description: str
    stage: str
    village_code: str
    village_name: str
    township: str
    reported_at: datetime
    parties: list[PartyBrief]
    requests: list[LinkageRead]

    _utc = field_validator("reported_at")(assume_utc)
