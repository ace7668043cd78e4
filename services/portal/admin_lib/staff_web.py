"""What the staff pages and the staff API share: the typed bodies, the directory and the open
cases fetched from the disputes service, labels."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.portal.admin_lib.staff import Directory
from services.portal.backend import call_service
from services.portal.deps import ServiceClients, User
from services.portal.models import UserRow
from shared.contracts.directory import OrgPartnerRead
from shared.contracts.disputes_read import CaseSummary, OfficerRead, VillageRead
from shared.pii import mask_phone

UNAVAILABLE = "the directory of the disputes service is not available"
OPEN_STAGES = ("assignment", "follow_up", "closure_approval")
StaffRole = Literal["officer", "station_chief", "group_leader", "clerk", "partner", "admin"]
LAST_OFFICER = (
    "station {station} has no other active officer: new cases go to the station chief and "
    "the county duty desk"
)
ACTIONS = {
    "deactivate": "Deactivate",
    "reactivate": "Reactivate",
    "reset-password": "Reset the password",
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StaffCreate(_In):
    username: str = Field(max_length=32, examples=["ma.officer"])
    display_name: str = Field(max_length=64)
    phone: str = Field(max_length=11, description="the one-time password goes here by SMS")
    role: StaffRole
    station_code: str = Field(default="", max_length=16)
    police_room_code: str = Field(default="", max_length=16)
    village_code: str = Field(default="", max_length=16)
    partner_code: str = Field(default="", max_length=32, description="partner members only")


class StaffRoleUpdate(_In):
    role: StaffRole
    station_code: str = Field(default="", max_length=16)
    police_room_code: str = Field(default="", max_length=16)
    village_code: str = Field(default="", max_length=16)
    partner_code: str = Field(default="", max_length=32)
    reason: str = Field(max_length=500)


class StaffReason(_In):
    # stripped of surrounding whitespace first (the pattern says so in the schema)
    reason: str = Field(
        min_length=2,
        max_length=500,
        pattern=r"\S[\s\S]*\S",
        description="why (2 to 500 characters, not counting surrounding whitespace)",
    )


class StaffRead(BaseModel):
    user_id: str
    username: str
    display_name: str
    phone: str | None = Field(description="masked")
    role: str
    station_code: str | None
    police_room_code: str | None
    village_code: str | None
    partner_code: str | None = None
    active: bool
    first_login_pending: bool = Field(description="a one-time password is out, not yet used")
    warning: str | None = Field(
        default=None, description="e.g. the last active officer of a station was deactivated"
    )


class OpenCases(BaseModel):
    user_id: str
    case_ids: list[str]


class PasswordIssued(BaseModel):
    user_id: str
    sent_to: str | None = Field(description="the masked phone the SMS goes to")
    expires_at: datetime


def staff_read(row: UserRow, pending: bool) -> StaffRead:
    return StaffRead(
        user_id=row.user_id,
        username=row.username,
        display_name=row.display_name,
        phone=mask_phone(row.phone) or None,
        role=row.role,
        station_code=row.station_code,
        police_room_code=row.police_room_code,
        village_code=row.village_code,
        partner_code=row.partner_code,
        active=row.active,
        first_login_pending=pending,
    )


async def villages(clients: ServiceClients, user: User) -> list[VillageRead]:
    return await call_service(
        clients.disputes,
        UNAVAILABLE,
        "GET",
        "/directory/villages",
        user,
        answer=list[VillageRead],
    )


async def _all_partners(clients: ServiceClients, user: User) -> list[OrgPartnerRead]:
    return await call_service(
        clients.disputes,
        UNAVAILABLE,
        "GET",
        "/admin/directory/partners",
        user,
        answer=list[OrgPartnerRead],
    )


async def partners(clients: ServiceClients, user: User) -> list[OrgPartnerRead]:
    """The active partner organisations a partner account may belong to."""
    return [p for p in await _all_partners(clients, user) if p.active]


async def partner_off(clients: ServiceClients, user: User, row: UserRow) -> str | None:
    """A partner member's organisation ("name (code)") when the directory has it deactivated
    (the member is then not reactivated on its own); None for everyone else."""
    if row.role != "partner" or not row.partner_code:
        return None
    found = {p.code: p for p in await _all_partners(clients, user)}
    org = found.get(row.partner_code)
    return f"{org.name} ({org.code})" if org is not None and not org.active else None


def directory_of(
    rows: list[VillageRead], partners: list[OrgPartnerRead] | None = None
) -> Directory:
    return Directory(
        stations=frozenset(v.station_code for v in rows),
        rooms={v.police_room_code: v.station_code for v in rows},
        villages={v.code: v.station_code for v in rows},
        partners={p.code: p.station_code for p in partners or []},
    )


async def open_cases(clients: ServiceClients, user: User, row: UserRow) -> list[CaseSummary]:
    """The officer's open cases (what the bulk reassignment moves), or [] for others."""
    if row.role not in ("officer", "station_chief") or not row.station_code:
        return []
    cases = await call_service(
        clients.disputes,
        UNAVAILABLE,
        "GET",
        "/cases",
        user,
        params={"station": row.station_code},
        answer=list[CaseSummary],
    )
    return [c for c in cases if c.assignee_id == row.user_id and c.stage in OPEN_STAGES]


async def colleagues(clients: ServiceClients, user: User, row: UserRow) -> list[OfficerRead]:
    """The other active officers of the row's station (the assignment pool without them)."""
    if not row.station_code:
        return []
    found = await call_service(
        clients.disputes,
        UNAVAILABLE,
        "GET",
        "/directory/officers",
        user,
        params={"station": row.station_code},
        answer=list[OfficerRead],
    )
    return [o for o in found if o.user_id != row.user_id]


async def last_officer(clients: ServiceClients, user: User, row: UserRow) -> bool:
    """Whether the row is the only officer of their station still taking cases (or, once
    deactivated, the station has none left)."""
    if row.role != "officer" or not row.station_code:
        return False
    return not await colleagues(clients, user, row)
