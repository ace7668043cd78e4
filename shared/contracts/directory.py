"""The organisation directory's administration contract: what the portal sends the disputes
service (which owns the directory) and what it reads back. One model per record and direction
(`StationWrite` / `StationRead`, ...); codes travel in the path, the rest in the body, and
every write carries who makes it and why (the directory's change log keeps both)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.tasks import assume_utc

CODE_PATTERN = r"^[A-Z][A-Z0-9-]{1,15}$"  # SYZ01, RYZ0101, VYZ0101
HOUSEHOLD_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
PARTNER_PATTERN = r"^[A-Z][A-Z0-9-]{1,31}$"  # JO-SYZ01, VC-VYZ0101
PartnerKind = Literal[
    "village_committee", "judicial_office", "womens_federation", "township_government", "other"
]
# Text is stripped of surrounding whitespace before its length is checked; the patterns say so
# in the schema (a name has a visible character, a reason two).
NAME = Field(min_length=1, max_length=64, pattern=r"\S")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(
        min_length=2,
        max_length=500,
        pattern=r"\S[\s\S]*\S",
        description="why (2 to 500 characters, not counting surrounding whitespace)",
    )


class _Actor(BaseModel):
    actor_id: str = Field(min_length=1, max_length=64, description="who makes the change")


class OrgStationBody(_Body):
    name: str = NAME
    township: str = NAME
    county_code: str = Field(min_length=1, max_length=8)
    chief_id: str = Field(min_length=1, max_length=64, description="the station chief's user id")


class OrgPoliceRoomBody(_Body):
    name: str = NAME
    station_code: str = Field(pattern=CODE_PATTERN)
    village_code: str = Field(
        pattern=CODE_PATTERN,
        description="the village the room sits in: from now on it serves that village",
    )


class OrgVillageBody(_Body):
    name: str = NAME
    township: str = NAME
    station_code: str = Field(pattern=CODE_PATTERN)
    police_room_code: str = Field(
        pattern=CODE_PATTERN, description="a police room of the same station"
    )


class OrgHouseholdBody(_Body):
    name: str = Field(min_length=1, max_length=128, description="e.g. 马家 (the family name)")
    village_code: str = Field(pattern=CODE_PATTERN)
    members: int = Field(default=1, ge=1, le=99)


class OrgPostingBody(_Body):
    police_room_codes: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(
        max_length=20,
        description="the police rooms of the officer's station they serve from now on, in "
        "the order given (none: the station's pool only)",
    )


class OrgPartnerChannelBody(_Body):
    notify_url: str | None = Field(
        default=None,
        max_length=300,
        description="the organisation's outbound channel: each linkage request is POSTed "
        "there as JSON (an http or https URL); empty: none, it reads its task list only",
    )

    @field_validator("notify_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("an http:// or https:// address with a host")
        return value


class OrgCloseBody(_Body):
    """Closing a police room or village, or deactivating a partner organisation: only why."""


class OrgPartnerBody(_Body):
    kind: PartnerKind
    name: str = NAME
    station_code: str = Field(pattern=CODE_PATTERN, description="the station it works with")
    village_codes: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(
        min_length=1, max_length=60, description="the villages of that station it serves"
    )


class OrgCloseWrite(OrgCloseBody, _Actor):
    """What the portal sends the disputes service: the administrator's reason and who they are."""


class OrgPartnerWrite(OrgPartnerBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class OrgStationWrite(OrgStationBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class OrgPoliceRoomWrite(OrgPoliceRoomBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class OrgVillageWrite(OrgVillageBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class OrgHouseholdWrite(OrgHouseholdBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class OrgPostingWrite(OrgPostingBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class OrgPartnerChannelWrite(OrgPartnerChannelBody, _Actor):
    """What the portal sends the disputes service: the administrator's body and who they are."""


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OrgStationRead(_Read):
    code: str
    name: str
    township: str
    county_code: str
    chief_id: str


class OrgPoliceRoomRead(_Read):
    code: str
    name: str
    station_code: str
    village_code: str
    officer_ids: list[str] = Field(description="active officers posted here, in assignment order")
    active: bool = Field(default=True, description="false once closed")


class OrgVillageRead(_Read):
    code: str
    name: str
    township: str
    station_code: str
    police_room_code: str
    active: bool = Field(default=True, description="false once closed")


class OrgHouseholdRead(_Read):
    household_id: str
    name: str
    village_code: str
    members: int


class OrgPostingRead(_Read):
    officer_id: str
    name: str
    station_code: str
    police_room_codes: list[str]
    active: bool


class OrgChangeRead(_Read):
    at: datetime
    actor_id: str
    kind: str
    code: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    reason: str

    _utc = field_validator("at", mode="before")(assume_utc)


class OrgClosedRead(_Read):
    kind: Literal["police_room", "village", "partner"]
    code: str
    active: bool = Field(description="false: closed (kept for the cases that name it)")


class OrgPartnerRead(_Read):
    code: str
    kind: str
    name: str
    township: str
    station_code: str
    village_codes: list[str]
    active: bool
    notify_url: str | None = None


# The directory as the case pages and the staff admin read it (GET /internal/v1/directory/...)
# is `VillageRead` / `OfficerRead` in disputes_read.py, a case list's row `CaseSummary` there.
