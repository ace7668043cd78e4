"""What the six-ways desk's page modules share: role aliases, labels, rendering."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.areas import _appointments_backend as ab
from services.portal.deps import User, render, require_roles, verify_csrf

CSRF = [Depends(verify_csrf)]

Resident = Annotated[User, Depends(require_roles("resident", "group_leader"))]
Staff = Annotated[User, Depends(require_roles(*ab.STAFF))]
Supervisor = Annotated[User, Depends(require_roles(*ab.SUPERVISORS))]
LABELS = {
    "ways": ab.WAY_LABELS,
    "statuses": ab.STATUS_LABELS,
    "reasons": ab.REASON_LABELS,
    "service_names": ab.SERVICE_LABELS,
    "documents": ab.DOCUMENT_LABELS,
}


def _page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> Response:
    context = {**LABELS, "local": ab.local, "error": None, **ctx}
    return render(request, f"appointments/{name}.html", context, status_code=status_code)


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
