"""The offline workbench's service worker, served from the root so it may control every page
(static/sw.js; what it keeps is decided by static/offline.js)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.portal.web import STATIC

pages = APIRouter()
ORDER = 99


@pages.get("/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    return Response(
        (STATIC / "sw.js").read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
