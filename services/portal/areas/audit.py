"""Security log for administrators: logins, lockouts, registrations, tokens (and areas' audits)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.portal import service
from services.portal.deps import SessionDep, User, render, require_roles
from services.portal.schemas import AuditRead

pages = APIRouter()
api = APIRouter(prefix="/api/v1")
ORDER = 95  # position of this area's NAV entries (default 50)

NAV: list[tuple[str, str, set[str]]] = [("/admin/audit", "Security log", {"admin"})]

Admin = Annotated[User, Depends(require_roles("admin"))]


@pages.get("/admin/audit")
async def audit_page(request: Request, user: Admin, session: SessionDep) -> Response:
    entries = await service.recent_audit(session, limit=200)
    return render(request, "audit/log.html", {"entries": entries})


@api.get("/audit", response_model=list[AuditRead])
async def audit_api(
    user: Admin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64, description="action prefix")] = None,
) -> list[AuditRead]:
    """The latest security events, newest first (administrators only)."""
    rows = await service.recent_audit(session, limit=limit, action_prefix=action)
    return [AuditRead.model_validate(r, from_attributes=True) for r in rows]
