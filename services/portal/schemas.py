"""Request and response models of the portal API (XCreate / XUpdate / XRead)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from shared.tasks import assume_utc


class TokenCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="username (staff) or phone")
    password: str = Field(min_length=1, max_length=256)


class UserRead(BaseModel):
    user_id: str
    role: str
    display_name: str
    phone: str | None = Field(description="masked")
    village_code: str | None
    station_code: str | None
    police_room_code: str | None
    language: str


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserRead


class ResidentCreate(BaseModel):
    # the rules the service checks (inputs.normalise_phone, the password policy), in the schema
    phone: str = Field(
        min_length=1,
        max_length=32,
        description="a mainland mobile number: 11 ASCII digits starting with 13-19 "
        "(spaces, dashes and +86 are dropped)",
        json_schema_extra={
            "pattern": r"^\s*[ -]*(\+[ -]*8[ -]*6)?[ -]*1[ -]*[3-9]([ -]*[0-9]){9}[ -]*\s*$"
        },
    )
    password: str = Field(min_length=1, max_length=256, json_schema_extra={"minLength": 8})
    display_name: str = Field(min_length=1, max_length=128, json_schema_extra={"pattern": r"\S"})
    village_code: str = Field(min_length=1, max_length=32, description="the resident's village")
    language: str = "zh_CN"


class RegistrationPending(BaseModel):
    """A code was sent by SMS to the phone; confirm with it before `expires_at`."""

    registration_id: str
    phone: str = Field(description="masked")
    expires_at: datetime


class RegistrationConfirm(BaseModel):
    registration_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=12)


class CredentialRead(BaseModel):
    """One active session (browser) or API token of the caller."""

    kind: str
    handle: str = Field(description="what DELETE /api/v1/auth/credentials/{kind}/{handle} takes")
    created_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


class AuditRead(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    action: str
    subject: str | None
    ip: str | None

    _utc = field_validator("at")(assume_utc)
