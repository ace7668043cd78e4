"""Organisation administration pages (/admin/org): stations, police rooms, villages and their
households (administrators), and officers' postings to police rooms (administrators; station
chiefs for the officers of their own station). The disputes service owns the directory; rules
and calls in admin_lib/org.py, the JSON API in admin_org_api.py."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.admin_lib import org
from services.portal.admin_lib import staff as st
from services.portal.admin_lib.backend import Problem, Problems
from services.portal.deps import Clients, RuntimeDep, User, render, require_roles, verify_csrf
from services.portal.web import client_ip
from shared.contracts import directory as d
from shared.db import transaction

pages = APIRouter()
Admin = Annotated[User, Depends(require_roles("admin"))]
Manager = Annotated[User, Depends(require_roles("admin", "station_chief"))]
CSRF = [Depends(verify_csrf)]
FORMS = {
    "station": ("name", "township", "county_code", "chief_id"),
    "police_room": ("name", "station_code", "village_code"),
    "village": ("name", "township", "station_code", "police_room_code"),
    "household": ("name", "village_code", "members"),
}


def _errors(exc: Problems) -> dict[str, str]:
    return {p.field: p.reason for p in exc.problems}


async def _org_page(
    request: Request,
    clients: Clients,
    user: User,
    station: str,
    *,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> Response:
    stations = await org.read(clients, user, d.OrgStationRead, "stations")
    codes = {s.code for s in stations}
    station = station if station in codes else (stations[0].code if stations else "")
    rooms = await org.read(clients, user, d.OrgPoliceRoomRead, "police-rooms", station=station)
    villages = await org.read(clients, user, d.OrgVillageRead, "villages", station=station)
    ctx = {
        "stations": stations,
        "station": next((s for s in stations if s.code == station), None),
        "rooms": rooms,
        "villages": villages,
        "changes": await org.read(clients, user, d.OrgChangeRead, "changes", limit=15),
        "failed": failed,
        "errors": errors or {},
        "data": data or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/org.html", ctx, status_code=422 if errors else 200)


@pages.get("/admin/org")
async def org_page(request: Request, user: Admin, clients: Clients, station: str = "") -> Response:
    return await _org_page(request, clients, user, station[:16])


async def _put(
    request: Request, user: User, clients: Clients, rt: RuntimeDep, kind: str
) -> tuple[str, dict[str, str], dict[str, str] | None]:
    """Save the form of `kind`: (its code, the form, None) or (..., the problems)."""
    form = await request.form()
    data = {k: str(form.get(k, "")).strip()[:128] for k in ("code", "reason", *FORMS[kind])}
    code = data["code"] if kind == "household" else data["code"].upper()
    pattern = d.HOUSEHOLD_PATTERN if kind == "household" else d.CODE_PATTERN
    try:
        if not re.fullmatch(pattern, code):
            raise Problems([Problem(field="code", reason="letters and digits, 2 to 16")])
        body = org.body_of(kind, {k: v for k, v in data.items() if k != "code"})
        await org.write(clients, user, kind, code, body)
    except Problems as exc:
        return code, data, _errors(exc)
    async with transaction(rt.factory) as session:
        await org.audited(
            session, user=user, kind=kind, code=code, body=body, ip=client_ip(request)
        )
    return code, data, None


@pages.post("/admin/org/{kind}", dependencies=CSRF)
async def org_save(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, kind: str
) -> Response:
    if kind not in FORMS or kind == "household":
        raise HTTPException(404, detail=f"nothing called {kind} here")
    code, data, errors = await _put(request, user, clients, rt, kind)
    if errors:
        at = str((await request.form()).get("at", ""))[:16]  # the station the page showed
        return await _org_page(request, clients, user, at, failed=kind, errors=errors, data=data)
    station = code if kind == "station" else data.get("station_code", "")
    return RedirectResponse(f"/admin/org?station={station}&done={kind}", status_code=303)


@pages.get("/admin/org/villages/{code}")
async def village_page(
    request: Request,
    user: Admin,
    clients: Clients,
    code: str,
    errors: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
) -> Response:
    found = await org.read(clients, user, d.OrgVillageRead, "villages", code=code[:16])
    village = found[0] if found else None
    if village is None:
        raise HTTPException(404, detail="no such village")
    ctx = {
        "village": village,
        "households": await org.read(clients, user, d.OrgHouseholdRead, "households", village=code),
        "errors": errors or {},
        "data": data or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/org_village.html", ctx, status_code=422 if errors else 200)


@pages.post("/admin/org/villages/{village}/households", dependencies=CSRF)
async def household_save(
    request: Request, user: Admin, clients: Clients, rt: RuntimeDep, village: str
) -> Response:
    _, data, errors = await _put(request, user, clients, rt, "household")
    if errors:
        return await village_page(request, user, clients, village, errors=errors, data=data)
    return RedirectResponse(f"/admin/org/villages/{village}?done=household", status_code=303)


# ---- postings ------------------------------------------------------------------------------


def _station_for(user: User, station: str) -> str:
    if user.role == "admin":
        return station
    return user.station_code or ""


async def _postings_page(
    request: Request,
    clients: Clients,
    user: User,
    station: str,
    *,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    station = _station_for(user, station)
    stations = await org.read(clients, user, d.OrgStationRead, "stations")
    if not station and stations:
        station = stations[0].code
    ctx = {
        "stations": stations if user.role == "admin" else [],
        "station": station,
        "rooms": await org.read(
            clients, user, d.OrgPoliceRoomRead, "police-rooms", station=station
        ),
        "officers": await org.read(clients, user, d.OrgPostingRead, "postings", station=station),
        "failed": failed,
        "errors": errors or {},
        "done": request.query_params.get("done"),
    }
    return render(request, "admin/org_postings.html", ctx, status_code=422 if errors else 200)


@pages.get("/admin/org/postings")
async def postings_page(
    request: Request, user: Manager, clients: Clients, station: str = ""
) -> Response:
    return await _postings_page(request, clients, user, station[:16])


async def post_officer(
    request: Request,
    user: User,
    clients: Clients,
    rt: RuntimeDep,
    officer_id: str,
    body: d.OrgPostingBody,
) -> d.OrgPostingRead:
    """Post the officer (a station chief: an officer of their own station only, else 403)."""
    async with rt.factory() as session:
        try:
            await st.get_in_scope(session, user, officer_id)
        except LookupError:
            raise HTTPException(404, detail="no such officer") from None
        except st.OutOfScope:
            raise HTTPException(
                403, detail="you manage the officers of your own station only"
            ) from None
    posting = await org.write(clients, user, "posting", officer_id, body)
    assert isinstance(posting, d.OrgPostingRead)
    async with transaction(rt.factory) as session:
        row = await st.get_in_scope(session, user, officer_id)
        await org.follow_posting(session, row, posting)
        await org.audited(
            session, user=user, kind="posting", code=officer_id, body=body, ip=client_ip(request)
        )
    rt.wake_relay()
    return posting


@pages.post("/admin/org/postings/{officer_id}", dependencies=CSRF)
async def posting_save(
    request: Request, user: Manager, clients: Clients, rt: RuntimeDep, officer_id: str
) -> Response:
    form = await request.form()
    rooms = [str(r)[:16] for r in form.getlist("police_room_codes")][:20]
    station = _station_for(user, str(form.get("station_code", ""))[:16])
    try:
        body = org.body_of(
            "posting", {"police_room_codes": rooms, "reason": str(form.get("reason", ""))[:500]}
        )
        assert isinstance(body, d.OrgPostingBody)
        await post_officer(request, user, clients, rt, officer_id, body)
    except Problems as exc:
        return await _postings_page(
            request, clients, user, station, failed=officer_id, errors=_errors(exc)
        )
    return RedirectResponse(
        f"/admin/org/postings?station={station}&done={officer_id}", status_code=303
    )


__all__ = ["pages", "post_officer"]
