"""What the accounts, registration and profile areas share: safe redirects, the user view,
starting a browser session."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.portal import credentials
from services.portal.deps import RuntimeDep, User
from services.portal.models import UserRow
from services.portal.schemas import UserRead
from services.portal.web import client_ip, portal_of, set_session_cookie
from shared.db import transaction
from shared.pii import mask_phone


def safe_next(target: str | None) -> str:
    """Only local paths: `next` must never send a user to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def user_read(row: UserRow | User) -> UserRead:
    return UserRead(
        user_id=row.user_id,
        role=row.role,
        display_name=row.display_name,
        phone=mask_phone(row.phone) or None,
        village_code=row.village_code,
        station_code=row.station_code,
        police_room_code=row.police_room_code,
        language=row.language,
    )


async def start_session(request: Request, rt: RuntimeDep, user_id: str, target: str) -> Response:
    settings = portal_of(request).settings
    async with transaction(rt.factory) as session:
        old = getattr(request.state, "session_key", None)
        if old:
            await credentials.end_web_session(session, old)
        value = await credentials.create_web_session(
            session,
            user_id=user_id,
            max_age=settings.session_max_age_seconds,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(request, response, value)
    return response
