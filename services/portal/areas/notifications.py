"""Notifications area: everyone's inbox and preferences; delivery status for supervisors.

The notifications service trusts the user ids it is given, so scope is applied here: a user
only reaches their own inbox and preferences (the id always comes from the session), a station
chief only the deliveries of their own station, an admin all of them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.portal.backend import call_service
from services.portal.deps import (
    ROLES,
    Clients,
    CurrentUser,
    FieldError,
    ServiceClients,
    User,
    render,
    require_roles,
    verify_csrf,
)
from shared.contracts.notifications import (
    DeliveryPage,
    DeliveryRead,
    InboxPage,
    PreferenceRead,
    RetryResult,
    UnreadCount,
)
from shared.localtime import local_zone
from shared.tasks import assume_utc

log = logging.getLogger("fengqiao.portal.notifications")
T = TypeVar("T")
pages = APIRouter()
api = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
CSRF = [Depends(verify_csrf)]
TZ = local_zone()
PAGE_SIZE = 20

NAV: list[tuple[str, str, set[str]]] = [
    ("/inbox", "Inbox", set(ROLES)),
    ("/notifications/status", "Delivery status", {"station_chief", "admin"}),
]
ORDER = 80

Supervisor = Annotated[User, Depends(require_roles("station_chief", "admin"))]
KIND_LABELS = {
    "case": "Cases",
    "booking": "Appointments",
    "service": "Applications and home visits",
    "points": "Points",
    "account": "Account and password",
}
CHANNEL_LABELS = {"inbox": "Inbox", "sms": "SMS", "email": "E-mail", "bot": "Group bot"}
STATUS_LABELS = {"queued": "Queued", "sent": "Sent", "failed": "Failed", "read": "Read"}
SWITCHABLE = ("sms", "email")


async def call(
    clients: ServiceClients,
    method: str,
    path: str,
    answer: type[T],
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> T:
    """One call to the notifications service, its answer as the shared contract model
    (services/portal/backend.py: its refusals become 4xx with the reason, a 422 the field
    error)."""
    return await call_service(
        clients.notifications,
        "the notifications service is not available right now",
        method,
        path,
        None,
        answer=answer,
        json=json,
        params=params,
    )


def local(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _user_path(user: User, rest: str = "") -> str:
    return f"/users/{user.user_id}{rest}"


def _station_scope(user: User, station_code: str | None) -> str | None:
    if user.role == "station_chief":
        if not user.station_code:
            raise HTTPException(403, "no station on this account")
        return user.station_code
    return station_code


async def _scoped_delivery(clients: ServiceClients, user: User, delivery_id: int) -> DeliveryRead:
    found = await call(clients, "GET", f"/deliveries/{delivery_id}", DeliveryRead)
    if user.role == "station_chief" and found.station_code != user.station_code:
        raise HTTPException(404, f"delivery {delivery_id} not found")
    return found


# ---- pages -------------------------------------------------------------------------------


def _page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
    labels = {"kinds": KIND_LABELS, "channels": CHANNEL_LABELS, "statuses": STATUS_LABELS}
    return render(
        request,
        f"notifications/{name}.html",
        {**labels, "local": local, **ctx},
        status_code=status_code,
    )


@pages.get("/inbox")
async def inbox_page(
    request: Request, user: CurrentUser, clients: Clients, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    data = await call(
        clients,
        "GET",
        _user_path(user, "/inbox"),
        InboxPage,
        params={"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    )
    pages_total = max(1, -(-data.total // PAGE_SIZE))
    return _page(request, "inbox", inbox=data, page=page, pages_total=pages_total)


@pages.post("/inbox/read-all", dependencies=CSRF)
async def read_all(user: CurrentUser, clients: Clients) -> Response:
    await call(clients, "POST", _user_path(user, "/inbox/read-all"), UnreadCount)
    return RedirectResponse("/inbox", status_code=303)


@pages.post("/inbox/{message_id}/read", dependencies=CSRF)
async def read_one(message_id: int, user: CurrentUser, clients: Clients) -> Response:
    await call(clients, "POST", _user_path(user, f"/inbox/{message_id}/read"), UnreadCount)
    return RedirectResponse("/inbox", status_code=303)


@pages.get("/inbox/preferences")
async def preferences_page(request: Request, user: CurrentUser, clients: Clients) -> Response:
    prefs = await call(clients, "GET", _user_path(user, "/preferences"), PreferenceRead)
    return _page(
        request, "preferences", prefs=prefs, switchable=SWITCHABLE, saved=False, error=None
    )


@pages.post("/inbox/preferences", dependencies=CSRF)
async def preferences_save(request: Request, user: CurrentUser, clients: Clients) -> Response:
    form = await request.form()
    current = await call(clients, "GET", _user_path(user, "/preferences"), PreferenceRead)
    disabled = {
        kind: [ch for ch in SWITCHABLE if form.get(f"on_{kind}_{ch}") != "on"]
        for kind in current.kinds
    }
    error = None
    try:
        body = {
            "disabled": disabled,
            "quiet_enabled": form.get("quiet_enabled") == "on",
            "quiet_start_hour": _hour(form.get("quiet_start_hour"), "quiet_start_hour"),
            "quiet_end_hour": _hour(form.get("quiet_end_hour"), "quiet_end_hour"),
        }
        prefs = await call(
            clients, "PUT", _user_path(user, "/preferences"), PreferenceRead, json=body
        )
    except FieldError as exc:
        error, prefs = exc.reason, current
    return _page(
        request,
        "preferences",
        status_code=422 if error else 200,
        prefs=prefs,
        switchable=SWITCHABLE,
        saved=error is None,
        error=error,
    )


def _hour(value: object, field: str) -> int:
    try:
        hour = int(str(value))
    except ValueError:
        raise FieldError(field, "an hour from 0 to 23") from None
    if not 0 <= hour <= 23:
        raise FieldError(field, "an hour from 0 to 23")
    return hour


StatusFilter = Literal["queued", "sent", "failed", "read"]
ChannelFilter = Literal["inbox", "sms", "email", "bot"]


@pages.get("/notifications/status")
async def status_page(
    request: Request,
    user: Supervisor,
    clients: Clients,
    status: StatusFilter | None = None,
    channel: ChannelFilter | None = None,
) -> Response:
    data = await call(
        clients,
        "GET",
        "/deliveries",
        DeliveryPage,
        params={
            "status": status,
            "channel": channel,
            "station_code": _station_scope(user, None),
            "limit": 100,
        },
    )
    return _page(request, "status", data=data, status=status or "", channel=channel or "")


@pages.post("/notifications/status/{delivery_id}/retry", dependencies=CSRF)
async def retry_page(delivery_id: int, user: Supervisor, clients: Clients) -> Response:
    await _scoped_delivery(clients, user, delivery_id)
    await call(clients, "POST", f"/deliveries/{delivery_id}/retry", RetryResult)
    return RedirectResponse("/notifications/status?status=failed", status_code=303)


# ---- JSON API ----------------------------------------------------------------------------


class InboxItem(BaseModel):
    id: int
    routing_key: str
    kind: str
    subject: str
    body: str
    reference: str
    urgent: bool
    occurred_at: datetime
    read_at: datetime | None

    _utc = field_validator("occurred_at", "read_at")(assume_utc)


class InboxOut(BaseModel):
    items: list[InboxItem]
    total: int
    unread: int


class UnreadOut(BaseModel):
    unread: int


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disabled: dict[str, list[Literal["sms", "email", "bot"]]] = Field(
        default_factory=dict,
        description="channels switched off per kind (inbox always on); the kinds are the "
        "`kinds` of GET /api/v1/notifications/preferences, another is refused (422)",
    )
    # strict: `false` is no hour and "1" no switch, as the published schema says
    quiet_enabled: bool = Field(default=True, strict=True)
    quiet_start_hour: int = Field(ge=0, le=23, strict=True)
    quiet_end_hour: int = Field(ge=0, le=23, strict=True)


class PreferencesOut(PreferencesIn):
    user_id: str
    kinds: list[str]
    channels: list[str]


class DeliveryOut(BaseModel):
    id: int
    routing_key: str
    kind: str
    recipient_id: str
    channel: str
    address: str = Field(description="masked")
    status: str
    attempts: int
    last_error: str
    urgent: bool
    digested: bool
    deferred: bool
    subject: str
    reference: str
    station_code: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None

    _utc = field_validator("created_at", "sent_at", "read_at")(assume_utc)


class DeliveriesOut(BaseModel):
    items: list[DeliveryOut]
    total: int
    counts: dict[str, int]


@api.get("/inbox", response_model=InboxOut)
async def api_inbox(
    user: CurrentUser,
    clients: Clients,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> Any:
    params = {"unread_only": unread_only, "limit": limit, "offset": offset}
    return await call(clients, "GET", _user_path(user, "/inbox"), InboxPage, params=params)


@api.get("/unread", response_model=UnreadOut, summary="Unread inbox messages (for the nav badge)")
async def api_unread(user: CurrentUser, clients: Clients) -> Any:
    return await call(clients, "GET", _user_path(user, "/unread"), UnreadCount)


RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@api.post("/inbox/{message_id}/read", response_model=UnreadOut)
async def api_read(message_id: RowId, user: CurrentUser, clients: Clients) -> Any:
    return await call(clients, "POST", _user_path(user, f"/inbox/{message_id}/read"), UnreadCount)


@api.post("/inbox/read-all", response_model=UnreadOut)
async def api_read_all(user: CurrentUser, clients: Clients) -> Any:
    return await call(clients, "POST", _user_path(user, "/inbox/read-all"), UnreadCount)


@api.get("/preferences", response_model=PreferencesOut)
async def api_preferences(user: CurrentUser, clients: Clients) -> Any:
    return await call(clients, "GET", _user_path(user, "/preferences"), PreferenceRead)


@api.put("/preferences", response_model=PreferencesOut)
async def api_set_preferences(data: PreferencesIn, user: CurrentUser, clients: Clients) -> Any:
    body = data.model_dump(mode="json")
    return await call(clients, "PUT", _user_path(user, "/preferences"), PreferenceRead, json=body)


@api.get("/deliveries", response_model=DeliveriesOut)
async def api_deliveries(
    user: Supervisor,
    clients: Clients,
    status: StatusFilter | None = None,
    channel: ChannelFilter | None = None,
    station_code: str | None = None,
    reference: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> Any:
    params = {
        "status": status,
        "channel": channel,
        "station_code": _station_scope(user, station_code),
        "reference": reference,
        "limit": limit,
        "offset": offset,
    }
    return await call(clients, "GET", "/deliveries", DeliveryPage, params=params)


class RetryOut(BaseModel):
    requeued: int


@api.post(
    "/deliveries/{delivery_id}/retry",
    response_model=RetryOut,
    responses={409: {"description": "only a failed delivery can be retried"}},
)
async def api_retry(delivery_id: RowId, user: Supervisor, clients: Clients) -> Any:
    await _scoped_delivery(clients, user, delivery_id)
    return await call(clients, "POST", f"/deliveries/{delivery_id}/retry", RetryResult)
