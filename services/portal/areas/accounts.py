"""Accounts area: login and logout (pages), bearer tokens (API). Registration: register.py;
profile, sessions and tokens: profile.py."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from services.portal import credentials, service
from services.portal.areas._accounts_common import safe_next, start_session, user_read
from services.portal.deps import CurrentUser, OptionalUser, RuntimeDep, render, verify_csrf
from services.portal.login import LoginResult, authenticate
from services.portal.schemas import TokenCreate, TokenRead, UserRead
from services.portal.web import client_ip, portal_of, set_session_cookie
from shared.db import transaction

pages = APIRouter()
api = APIRouter(prefix="/api/v1")
ORDER = 90  # position of this area's NAV entries (default 50)

NAV: list[tuple[str, str, set[str]]] = [("/login", "Log in", {"anonymous"})]

Csrf = Depends(verify_csrf)


def _retry_after(result: LoginResult) -> dict[str, str]:
    return {"Retry-After": str(result.retry_after)} if result.retry_after else {}


@pages.get("/login")
async def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request, "accounts/login.html", {"next": safe_next(next), "error": None, "login": ""}
    )


@pages.post("/login", dependencies=[Csrf])
async def login_submit(
    request: Request,
    rt: RuntimeDep,
    login: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = portal_of(request).settings
    ip = client_ip(request)
    result = await authenticate(
        rt.factory, login=login, password=password, ip=ip, limit=settings.login_rate_limit
    )
    if result.user is not None:
        async with transaction(rt.factory) as session:
            await service.audit(session, action="login.ok", actor_id=result.user.user_id, ip=ip)
    rt.wake_relay()
    if result.user is None:
        error = (
            "Too many failed attempts. Try again later."
            if result.locked
            else ("Wrong login or password.")
        )
        ctx = {"next": safe_next(next), "error": error, "login": login}
        response = render(
            request, "accounts/login.html", ctx, status_code=429 if result.locked else 401
        )
        response.headers.update(_retry_after(result))
        return response
    return await start_session(request, rt, result.user.user_id, next)


@pages.post("/logout", dependencies=[Csrf])
async def logout(request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    async with transaction(rt.factory) as session:
        key = getattr(request.state, "session_key", None)
        if key:
            await credentials.end_web_session(session, key)
        if user is not None:
            await service.audit(
                session, action="logout", actor_id=user.user_id, ip=client_ip(request)
            )
    response = RedirectResponse("/login", status_code=303)
    set_session_cookie(request, response, credentials.new_secret())
    return response


class TokenForm(TokenCreate):
    """The OAuth2 password grant (RFC 6749 4.3), as /docs' Authorize button sends it."""

    model_config = ConfigDict(extra="ignore")  # scope, client_id, client_secret: unused
    grant_type: Literal["password"]


def _token_body() -> dict[str, Any]:
    def schema(model: type[BaseModel]) -> dict[str, Any]:
        return model.model_json_schema(ref_template="#/components/schemas/{model}")

    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema(TokenCreate)},
                "application/x-www-form-urlencoded": {"schema": schema(TokenForm)},
            },
        }
    }


async def _credentials(request: Request) -> TokenCreate:
    """The JSON body, or the OAuth2 password form; 422 naming the field otherwise."""
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    try:
        if form:
            return TokenForm.model_validate(dict((await request.form()).items()))
        return TokenCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc


@api.post(
    "/auth/token",
    response_model=TokenRead,
    responses={
        401: {"description": "wrong login or password"},
        429: {"description": "too many failures: wait Retry-After seconds"},
    },
    openapi_extra=_token_body(),
)
async def issue_token(request: Request, rt: RuntimeDep) -> TokenRead:
    """Exchange a username (staff) or phone (residents) and password for a bearer token: a JSON
    body, or the OAuth2 password form (`grant_type=password`). The token expires at
    `expires_at`; 429 after too many failed attempts."""
    body = await _credentials(request)
    settings = portal_of(request).settings
    ip = client_ip(request)
    result = await authenticate(
        rt.factory,
        login=body.username,
        password=body.password,
        ip=ip,
        limit=settings.login_rate_limit,
    )
    if result.user is not None:
        async with transaction(rt.factory) as session:
            token, expires = await credentials.issue_token(
                session,
                user_id=result.user.user_id,
                ttl=settings.session_max_age_seconds,
                ip=ip,
                user_agent=request.headers.get("user-agent"),
            )
            await service.audit(session, action="token.issued", actor_id=result.user.user_id, ip=ip)
            read = TokenRead(access_token=token, expires_at=expires, user=user_read(result.user))
    rt.wake_relay()
    if result.user is not None:
        return read
    if result.locked:
        raise HTTPException(
            status_code=429,
            detail="too many failed attempts; try again later",
            headers=_retry_after(result),
        )
    raise HTTPException(
        status_code=401, detail="wrong login or password", headers={"WWW-Authenticate": "Bearer"}
    )


@api.post("/auth/logout", status_code=204, responses={401: {"description": "no valid token"}})
async def revoke_this_token(request: Request, rt: RuntimeDep, user: CurrentUser) -> Response:
    """Revoke the bearer token this request carries (it answers 401 from now on)."""
    _, _, token = request.headers.get("authorization", "").partition(" ")
    async with transaction(rt.factory) as session:
        await credentials.revoke_token(session, token.strip())
        await service.audit(
            session, action="token.revoked", actor_id=user.user_id, ip=client_ip(request)
        )
    return Response(status_code=204)


@api.get("/me", response_model=UserRead)
async def me(user: CurrentUser) -> UserRead:
    """The caller's account (phone masked)."""
    return user_read(user)
