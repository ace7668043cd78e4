"""First login of a staff account (/first-login): the one-time password an administrator had
sent by SMS is replaced by the person's own; only then can they log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.portal import service
from services.portal.admin_lib import first_login as fl
from services.portal.admin_lib import staff as st
from services.portal.deps import OptionalUser, RuntimeDep, render, verify_csrf
from services.portal.web import client_ip, portal_of, set_session_cookie
from shared.db import transaction

pages = APIRouter()
# No NAV entry: the login page links here.


@pages.get("/first-login")
async def first_login_page(request: Request, user: OptionalUser) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "admin/first_login.html", {"login": "", "errors": {}})


@pages.post("/first-login", dependencies=[Depends(verify_csrf)])
async def first_login_submit(
    request: Request,
    rt: RuntimeDep,
    login: Annotated[str, Form(max_length=64)] = "",
    one_time_password: Annotated[str, Form(max_length=64)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = portal_of(request).settings
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = "the two new passwords differ"
    row = None
    if not errors:
        try:
            async with transaction(rt.factory) as session:
                row = await fl.first_login(
                    session,
                    login=login,
                    one_time=one_time_password,
                    new_password=new_password,
                    ip=client_ip(request),
                    limit=settings.login_rate_limit,
                )
                if row is None:
                    errors["one_time_password"] = "wrong login or one-time password, or it expired"
                else:
                    cookie = await service.create_web_session(
                        session, user_id=row.user_id, max_age=settings.session_max_age_seconds
                    )
        except st.StaffInvalid as exc:
            errors = exc.errors
    if row is None:
        ctx = {"login": login, "errors": errors}
        return render(request, "admin/first_login.html", ctx, status_code=422)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, cookie)
    return response
