"""Administration hub (/admin): one tile per administration page that exists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.portal.deps import User, has_route, render, require_roles

pages = APIRouter()
ORDER = 85  # before accounts (90) and the security log (95)

NAV: list[tuple[str, str, set[str]]] = [("/admin", "Administration", {"admin", "station_chief"})]

# (path, label, hint, roles)
SECTIONS: list[tuple[str, str, str, set[str]]] = [
    (
        "/admin/staff",
        "Staff accounts",
        "Create, deactivate and reset staff accounts",
        {"admin", "station_chief"},
    ),
    (
        "/admin/org",
        "Organisation",
        "Stations, police rooms, villages and households",
        {"admin"},
    ),
    (
        "/admin/org/postings",
        "Officers' postings",
        "Post an officer to a police room or move them",
        {"admin", "station_chief"},
    ),
    (
        "/admin/partners",
        "Partner organisations",
        "Village committees, judicial offices and others of the linkage: their villages, "
        "channels and accounts",
        {"admin", "station_chief"},
    ),
    (
        "/admin/rules/screening",
        "Screening rules",
        "Red, yellow and green rules, with a preview",
        {"admin"},
    ),
    (
        "/admin/rules/lifecycle",
        "Lifecycle deadlines",
        "Time to accept, follow-up cadence and other deadlines, with a preview",
        {"admin"},
    ),
    (
        "/admin/rules/points",
        "Points rules",
        "Points for patrols, mediation and tips, with a preview",
        {"admin"},
    ),
    (
        "/admin/desk",
        "Six-ways desk",
        "Services, offices, opening hours, seats and holidays",
        {"admin"},
    ),
    (
        "/admin/desk/to-move",
        "Bookings to move",
        "Bookings a desk change left without their place",
        {"admin", "station_chief"},
    ),
    (
        "/admin/supermarket",
        "Love supermarket",
        "Love supermarket items, prices and low-stock alerts",
        {"admin"},
    ),
    ("/points/admin", "Points ledger", "Adjust or reverse points", {"admin"}),
    ("/admin/audit", "Security log", "Logins, lockouts and account changes", {"admin"}),
]


@pages.get("/admin")
async def admin_home(
    request: Request, user: Annotated[User, Depends(require_roles("admin", "station_chief"))]
) -> Response:
    sections = [
        (path, label, hint)
        for path, label, hint, roles in SECTIONS
        if user.role in roles and has_route(request, path)
    ]
    return render(request, "admin/index.html", {"sections": sections})
