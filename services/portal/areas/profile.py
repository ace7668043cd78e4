"""Profile area: the person's details, language, e-mail, password, and their active sessions
and API tokens (each revocable; "sign out everywhere" ends them all)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.portal import credentials, service
from services.portal.areas._accounts_common import safe_next, start_session
from services.portal.deps import (
    ROLES,
    CurrentUser,
    FieldError,
    OptionalUser,
    RuntimeDep,
    User,
    render,
    verify_csrf,
)
from services.portal.schemas import CredentialRead
from services.portal.web import LANG_COOKIE, client_ip, set_session_cookie
from shared.db import transaction
from shared.i18n import LOCALES

pages = APIRouter()
api = APIRouter(prefix="/api/v1")
ORDER = 90
NAV: list[tuple[str, str, set[str]]] = [("/profile", "Profile", set(ROLES))]
Csrf = Depends(verify_csrf)
Kind = Literal["session", "token"]


async def _profile(
    request: Request, rt: RuntimeDep, user: User, status_code: int = 200, **extra: Any
) -> Response:
    async with rt.factory() as session:
        active = await credentials.active_credentials(
            session,
            user_id=user.user_id,
            current_session=getattr(request.state, "session_key", None),
        )
    ctx: dict[str, Any] = {
        "me": user,
        "errors": {},
        "changed": False,
        "email_saved": False,
        "revoked": False,
        "credentials": active,
        **extra,
    }
    return render(request, "accounts/profile.html", ctx, status_code=status_code)


@pages.get("/profile")
async def profile(
    request: Request,
    rt: RuntimeDep,
    user: CurrentUser,
    changed: bool = False,
    email_saved: bool = False,
    revoked: bool = False,
) -> Response:
    return await _profile(
        request, rt, user, changed=changed, email_saved=email_saved, revoked=revoked
    )


@pages.post("/profile/email", dependencies=[Csrf])
async def change_email(
    request: Request,
    rt: RuntimeDep,
    user: CurrentUser,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    try:
        async with transaction(rt.factory) as session:
            await service.set_email(
                session, user_id=user.user_id, email=email, ip=client_ip(request)
            )
    except FieldError as exc:
        return await _profile(
            request, rt, user, status_code=422, errors={exc.field: exc.reason}, email=email
        )
    rt.wake_relay()
    return RedirectResponse("/profile?email_saved=1", status_code=303)


@pages.post("/profile/password", dependencies=[Csrf])
async def change_password(
    request: Request,
    rt: RuntimeDep,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        async with transaction(rt.factory) as session:
            await service.change_password(
                session,
                user_id=user.user_id,
                current=current_password,
                new=new_password,
                ip=client_ip(request),
            )
    except FieldError as exc:
        return await _profile(request, rt, user, status_code=422, errors={exc.field: exc.reason})
    return await start_session(request, rt, user.user_id, "/profile?changed=1")


async def _revoke(request: Request, rt: RuntimeDep, user: User, kind: str, handle: str) -> None:
    """Revoke one of the user's sessions or tokens, audited; 404 when it is not theirs."""
    async with transaction(rt.factory) as session:
        done = await credentials.revoke(session, user_id=user.user_id, kind=kind, handle=handle)
        if done:
            await service.audit(
                session, action=f"{kind}.revoked", actor_id=user.user_id, ip=client_ip(request)
            )
    if not done:
        raise HTTPException(status_code=404, detail="no such session or token of yours")


@pages.post("/profile/revoke", dependencies=[Csrf])
async def revoke_one(
    request: Request,
    rt: RuntimeDep,
    user: CurrentUser,
    kind: Annotated[str, Form(max_length=16)] = "",
    handle: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    await _revoke(request, rt, user, kind, handle)
    if kind == "session" and handle == credentials.digest(request.state.session_key or ""):
        response = RedirectResponse("/login", status_code=303)
        set_session_cookie(request, response, credentials.new_secret())
        return response
    return RedirectResponse("/profile?revoked=1", status_code=303)


@pages.post("/profile/sign-out-everywhere", dependencies=[Csrf])
async def sign_out_everywhere(request: Request, rt: RuntimeDep, user: CurrentUser) -> Response:
    async with transaction(rt.factory) as session:
        await credentials.revoke_all(session, user_id=user.user_id)
        await service.audit(
            session, action="signed_out_everywhere", actor_id=user.user_id, ip=client_ip(request)
        )
    response = RedirectResponse("/login", status_code=303)
    set_session_cookie(request, response, credentials.new_secret())
    return response


@pages.post("/lang", dependencies=[Csrf])
async def switch_language(
    request: Request,
    rt: RuntimeDep,
    user: OptionalUser,
    language: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if language not in LOCALES:
        raise FieldError("language", f"one of {', '.join(LOCALES)}")
    response = RedirectResponse(safe_next(next), status_code=303)
    if user is not None:
        async with transaction(rt.factory) as session:
            await service.set_language(session, user_id=user.user_id, language=language)
        rt.wake_relay()
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@api.get("/auth/credentials", response_model=list[CredentialRead])
async def list_credentials(rt: RuntimeDep, user: CurrentUser) -> list[CredentialRead]:
    """The caller's active browser sessions and API tokens."""
    async with rt.factory() as session:
        active = await credentials.active_credentials(session, user_id=user.user_id)
    return [CredentialRead(**vars(c)) for c in active]


@api.delete(
    "/auth/credentials/{kind}/{handle}",
    status_code=204,
    responses={404: {"description": "no such session or token of yours"}},
)
async def revoke_credential(
    kind: Kind, handle: str, request: Request, rt: RuntimeDep, user: CurrentUser
) -> Response:
    """Revoke one of the caller's sessions or tokens."""
    await _revoke(request, rt, user, kind, handle)
    return Response(status_code=204)


@api.post("/auth/sign-out-everywhere", status_code=204)
async def sign_out_everywhere_api(request: Request, rt: RuntimeDep, user: CurrentUser) -> Response:
    """End every session and token of the caller, this one included."""
    async with transaction(rt.factory) as session:
        await credentials.revoke_all(session, user_id=user.user_id)
        await service.audit(
            session, action="signed_out_everywhere", actor_id=user.user_id, ip=client_ip(request)
        )
    return Response(status_code=204)
