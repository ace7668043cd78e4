"""Home area: the dashboard of each role, with entry points to what the other areas serve."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.deps import ROLES, OptionalUser, has_route, render

pages = APIRouter()
ORDER = 0  # position of this area's NAV entries (default 50)

NAV: list[tuple[str, str, set[str]]] = [("/", "Home", set(ROLES))]

# (path, label, hint) per role; a card shows only once some area serves its path.
ENTRIES: dict[str, list[tuple[str, str, str]]] = {
    "resident": [
        ("/cases/new", "Report a dispute", "Tell the police room about a dispute"),
        ("/my/cases", "My cases", "Stage, who handles it, next step"),
        ("/bookings", "Bookings", "Book a service in one of the six ways"),
        ("/appointments", "Bookings", "Book a service in one of the six ways"),
        ("/appointments/mine", "My bookings", "Your bookings and their status"),
        ("/points", "Points", "Your balance and how to earn more"),
        ("/tips/new", "Crime tip", "Give the police a lead; useful tips earn points"),
        ("/inbox", "Inbox", "Messages about your cases and bookings"),
    ],
    "officer": [
        ("/tasks", "My tasks", "Open tasks, overdue first"),
        ("/cases/new", "New case", "Record a dispute found in screening"),
        ("/appointments/staff", "Service desk", "Bookings and door-to-door visits"),
        ("/inbox", "Inbox", "Messages about your cases and bookings"),
    ],
    "station_chief": [
        ("/supervision/stuck", "Stuck board", "Overdue and stuck workflows"),
        ("/supervision/figures", "Figures", "Cases, deadlines and services in figures"),
        ("/tasks", "My tasks", "Open tasks, overdue first"),
        ("/inbox", "Inbox", "Messages about your cases and bookings"),
    ],
    "group_leader": [
        ("/patrols", "Patrol shifts", "Log the shifts of your volunteer group"),
        ("/points", "Points", "Your balance and how to earn more"),
        ("/inbox", "Inbox", "Messages about your cases and bookings"),
    ],
    "clerk": [
        ("/redeem", "Redeem points", "Exchange points for goods at the counter"),
        ("/inbox", "Inbox", "Messages about your cases and bookings"),
    ],
    "partner": [
        ("/partner", "Linkage requests", "What the police asked your organisation, by deadline"),
    ],
    "admin": [
        ("/admin", "Administration", "Villages, officers, services and rules"),
        ("/supervision/stuck", "Stuck board", "Overdue and stuck workflows"),
        ("/admin/audit", "Security log", "Logins, lockouts and account changes"),
    ],
}


@pages.get("/")
async def home(request: Request, user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    entries = [e for e in ENTRIES.get(user.role, []) if has_route(request, e[0])]
    return render(request, "home/dashboard.html", {"entries": entries})
