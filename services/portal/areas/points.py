"""Points area (积分+警务, 爱心超市): pages for residents, group leaders, officers, clerks, admins.

The JSON API of the same area (`api`) is defined in `_points_api.py`; calls and scope rules in
`_points_backend.py` (underscore modules are not discovered as areas of their own).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.areas import _points_backend as pb
from services.portal.areas._points_api import api
from services.portal.deps import (
    Clients,
    CurrentUser,
    FieldError,
    SessionDep,
    User,
    render,
    require_roles,
    verify_csrf,
)
from services.portal.inputs import normalised_or_raw
from services.portal.service import find_login
from shared.contracts.points import (
    ChainRead,
    DailyList,
    EntryRead,
    FiguresRead,
    GroupRead,
    HistoryRead,
    ItemRead,
)
from shared.localtime import local_zone

pages = APIRouter()
__all__ = ["NAV", "api", "pages"]
CSRF = [Depends(verify_csrf)]
TZ = local_zone()
CODE_RE = re.compile(r"^\d{8}$")

NAV: list[tuple[str, str, set[str]]] = [
    ("/points", "Points", {"resident", "group_leader"}),
    ("/supermarket", "Love supermarket", {"resident", "group_leader", "clerk"}),
    ("/tips/new", "Crime tip", {"resident"}),
    ("/patrols", "Patrols", {"group_leader", "officer", "station_chief"}),
    ("/tips", "Tips to rate", {"officer", "station_chief"}),
    ("/redeem", "Redeem points", {"clerk"}),
    ("/points/figures", "Points figures", {"station_chief", "admin"}),
    ("/points/admin", "Points ledger", {"admin"}),
]

Resident = Annotated[User, Depends(require_roles("resident", "group_leader"))]
Leader = Annotated[User, Depends(require_roles("group_leader", "officer", "station_chief"))]
Officer = Annotated[User, Depends(require_roles("officer", "station_chief"))]
Clerk = Annotated[User, Depends(require_roles("clerk"))]
Chief = Annotated[User, Depends(require_roles("station_chief", "admin"))]
Admin = Annotated[User, Depends(require_roles("admin"))]

LABELS = {
    "reasons": pb.REASON_LABELS,
    "kinds": pb.KIND_LABELS,
    "statuses": pb.STATUS_LABELS,
    "ratings": pb.RATING_LABELS,
}


def local(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _page(request: Request, name: str, status_code: int = 200, **ctx: object) -> Response:
    return render(
        request, f"points/{name}.html", {**LABELS, "local": local, **ctx}, status_code=status_code
    )


@pages.get("/points")
async def my_points(request: Request, user: Resident, clients: Clients) -> Response:
    data = await pb.account(clients, user)
    return _page(request, "mine", account=data.account, entries=data.entries, code=None)


@pages.post("/points/code", dependencies=CSRF)
async def new_code(request: Request, user: Resident, clients: Clients) -> Response:
    code = await pb.issue_code(clients, user)
    data = await pb.account(clients, user)
    return _page(request, "mine", account=data.account, entries=data.entries, code=code)


@pages.get("/supermarket")
async def catalogue(request: Request, user: CurrentUser, clients: Clients) -> Response:
    items = await pb.items(clients, user, user.village_code) if user.village_code else []
    return _page(request, "catalogue", items=items)


@pages.get("/tips/new")
async def tip_form(
    request: Request, user: Annotated[User, Depends(require_roles("resident"))], clients: Clients
) -> Response:
    mine = await pb.tips(clients, user, mine=True)
    return _page(request, "tip_new", tips=mine, key=pb.new_key(), sent=False, error=None)


@pages.post("/tips/new", dependencies=CSRF)
async def tip_submit(
    request: Request,
    user: Annotated[User, Depends(require_roles("resident"))],
    clients: Clients,
    text: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
) -> Response:
    error = None
    try:
        await pb.submit_tip(clients, user, text.strip(), key or pb.new_key())
    except FieldError as exc:
        error = exc.reason
    mine = await pb.tips(clients, user, mine=True)
    return _page(
        request,
        "tip_new",
        status_code=422 if error else 200,
        tips=mine,
        key=pb.new_key(),
        sent=error is None,
        error=error,
    )


@pages.get("/tips")
async def tips_to_rate(request: Request, user: Officer, clients: Clients) -> Response:
    waiting = await pb.tips(clients, user, status="submitted")
    return _page(request, "tips", tips=waiting, rating_choices=pb.RATINGS)


@pages.post("/tips/{tip_id}/rate", dependencies=CSRF)
async def rate(
    tip_id: str, user: Officer, clients: Clients, rating: Annotated[str, Form()] = ""
) -> Response:
    await pb.rate_tip(clients, user, tip_id, rating)
    return RedirectResponse("/tips", status_code=303)


@pages.get("/patrols")
async def patrols(request: Request, user: Leader, clients: Clients) -> Response:
    if user.role == "group_leader":
        groups = await pb.my_groups(clients, user)
        recent = await pb.patrols(clients, user, status=None, groups=[g.code for g in groups])
        return _page(request, "patrols_leader", groups=groups, patrols=recent, key=pb.new_key())
    pending = await pb.patrols(clients, user, status="pending", groups=None)
    return _page(request, "patrols_officer", patrols=pending)


@pages.post("/patrols", dependencies=CSRF)
async def log_patrol(
    request: Request,
    user: Annotated[User, Depends(require_roles("group_leader"))],
    clients: Clients,
) -> Response:
    form = await request.form()
    group_code = str(form.get("group_code", ""))
    groups = {g.code: g for g in await pb.my_groups(clients, user)}
    if group_code not in groups:
        raise FieldError("group_code", "choose one of your groups")
    try:
        start = datetime.fromisoformat(str(form.get("started_at", ""))).replace(tzinfo=TZ)
        end = datetime.fromisoformat(str(form.get("ended_at", ""))).replace(tzinfo=TZ)
    except ValueError:
        raise FieldError("started_at", "enter the start and end of the shift") from None
    body = {
        "group_code": group_code,
        "member_ids": [str(m) for m in form.getlist("member_ids")],
        "village_code": groups[group_code].village_code,
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "notes": str(form.get("notes", "")),
        "idempotency_key": str(form.get("key", "")) or pb.new_key(),
    }
    await pb.log_patrol(clients, user, body)
    return RedirectResponse("/patrols", status_code=303)


@pages.post("/patrols/members", dependencies=CSRF)
async def add_member(
    user: Annotated[User, Depends(require_roles("group_leader"))],
    clients: Clients,
    session: SessionDep,
    group_code: Annotated[str, Form(min_length=1, max_length=16)],
    phone: Annotated[str, Form(min_length=5, max_length=32)],
) -> Response:
    """A leader adds a registered resident to their group by the resident's phone number."""
    person = await find_login(session, normalised_or_raw(phone))  # one spelling per number
    if person is None or person.role != "resident":
        raise FieldError("phone", "no registered resident has this phone number")
    body = {
        "leader_id": user.user_id,
        "user_id": person.user_id,
        "display_name": person.display_name,
    }
    await pb.call(clients, "POST", f"/groups/{group_code}/members", user, GroupRead, json=body)
    return RedirectResponse("/patrols", status_code=303)


@pages.post("/patrols/{patrol_id}/cosign", dependencies=CSRF)
async def cosign(patrol_id: str, user: Officer, clients: Clients) -> Response:
    await pb.cosign(clients, user, patrol_id)
    return RedirectResponse("/patrols", status_code=303)


@pages.get("/redeem")
async def counter(
    request: Request, user: Clerk, clients: Clients, code: str | None = None
) -> Response:
    holder = None
    if code:
        if not CODE_RE.match(code.strip()):
            raise FieldError("code", "the code has 8 digits")
        holder = await pb.code_holder(clients, user, code.strip())
    items = await pb.items(clients, user, pb.require_shop(user))
    today = datetime.now(TZ).date().isoformat()
    params = {"clerk_id": user.user_id, "day": today}
    daily = await pb.call(clients, "GET", "/redemptions", user, DailyList, params=params)
    return _page(
        request, "counter", holder=holder, items=items, daily=daily, key=pb.new_key(), receipt=None
    )


@pages.post("/redeem", dependencies=CSRF)
async def redeem(
    request: Request,
    user: Clerk,
    clients: Clients,
    code: Annotated[str, Form()] = "",
    item_id: Annotated[str, Form()] = "",
    quantity: Annotated[int, Form(ge=1, le=50)] = 1,
    key: Annotated[str, Form()] = "",
) -> Response:
    if not CODE_RE.match(code.strip()):
        raise FieldError("code", "the code has 8 digits")
    receipt = await pb.redeem(
        clients,
        user,
        code=code.strip(),
        item_id=item_id,
        quantity=quantity,
        key=key or pb.new_key(),
    )
    return _page(request, "receipt", receipt=receipt)


@pages.post("/redeem/stock", dependencies=CSRF)
async def stock(
    user: Clerk,
    clients: Clients,
    item_id: Annotated[str, Form()] = "",
    delta: Annotated[int, Form(ge=-1000, le=1000)] = 0,
) -> Response:
    await pb.call(
        clients,
        "POST",
        f"/items/{item_id}/stock",
        user,
        ItemRead,
        json={"delta": delta, "actor_id": user.user_id},
        params={"village_code": pb.require_shop(user)},
    )
    return RedirectResponse("/redeem", status_code=303)


@pages.get("/points/figures")
async def figures(request: Request, user: Chief, clients: Clients) -> Response:
    data = await pb.call(clients, "GET", "/figures", user, FiguresRead)
    chain = None
    if user.role == "admin":
        chain = await pb.call(clients, "GET", "/chain/verify", user, ChainRead)
    return _page(request, "figures", figures=data, chain=chain)


@pages.get("/points/admin")
async def ledger_admin(
    request: Request, user: Admin, clients: Clients, account: str | None = None
) -> Response:
    history = None
    if account:
        path = f"/accounts/{account.strip()}/history"
        history = await pb.call(clients, "GET", path, user, HistoryRead)
    chain = await pb.call(clients, "GET", "/chain/verify", user, ChainRead)
    return _page(request, "admin", history=history, chain=chain, key=pb.new_key())


@pages.post("/points/admin/adjust", dependencies=CSRF)
async def admin_adjust(
    user: Admin,
    clients: Clients,
    account_id: Annotated[str, Form(min_length=1, max_length=64)],
    amount: Annotated[int, Form(ge=-100000, le=100000)],
    reason: Annotated[str, Form(min_length=2, max_length=500)],
    key: Annotated[str, Form()] = "",
) -> Response:
    body = {
        "amount": amount,
        "reason": reason,
        "actor_id": user.user_id,
        "idempotency_key": key or pb.new_key(),
    }
    path = f"/accounts/{account_id}/adjustments"
    await pb.call(clients, "POST", path, user, EntryRead, json=body)
    return RedirectResponse(f"/points/admin?account={account_id}", status_code=303)


@pages.post("/points/admin/reverse", dependencies=CSRF)
async def admin_reverse(
    user: Admin,
    clients: Clients,
    account_id: Annotated[str, Form(min_length=1, max_length=64)],
    entry_id: Annotated[str, Form(min_length=1, max_length=36)],
    reason: Annotated[str, Form(min_length=2, max_length=500)],
    key: Annotated[str, Form()] = "",
) -> Response:
    body = {"reason": reason, "actor_id": user.user_id, "idempotency_key": key or pb.new_key()}
    await pb.call(clients, "POST", f"/entries/{entry_id}/reverse", user, EntryRead, json=body)
    return RedirectResponse(f"/points/admin?account={account_id}", status_code=303)
