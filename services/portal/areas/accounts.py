"""Accounts area: login, logout, registration, profile, language; API tokens."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from services.portal import service
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
from services.portal.models import UserRow
from services.portal.schemas import ResidentCreate, TokenCreate, TokenRead, UserRead
from services.portal.web import (
    LANG_COOKIE,
    client_ip,
    portal_of,
    request_locale,
    set_session_cookie,
)
from shared.db import transaction
from shared.i18n import LOCALES
from shared.pii import mask_phone

pages = APIRouter()
api = APIRouter(prefix="/api/v1")
ORDER = 90  # position of this area's NAV entries (default 50)

NAV: list[tuple[str, str, set[str]]] = [
    ("/login", "Log in", {"anonymous"}),
    ("/register", "Register", {"anonymous"}),
    ("/profile", "Profile", set(ROLES)),
]

Csrf = Depends(verify_csrf)


def safe_next(target: str | None) -> str:
    """Only local paths: `next` must never send a user to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _user_read(row: UserRow | User) -> UserRead:
    return UserRead(
        user_id=row.user_id,
        role=row.role,
        display_name=row.display_name,
        phone=mask_phone(row.phone) or None,
        village_code=row.village_code,
        station_code=row.station_code,
        police_room_code=row.police_room_code,
        language=row.language,
    )


async def _start_session(request: Request, rt: RuntimeDep, user_id: str, target: str) -> Response:
    settings = portal_of(request).settings
    async with transaction(rt.factory) as session:
        old = getattr(request.state, "session_key", None)
        if old:
            await service.end_web_session(session, old)
        value = await service.create_web_session(
            session, user_id=user_id, max_age=settings.session_max_age_seconds
        )
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(request, response, value)
    return response


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
    async with transaction(rt.factory) as session:
        result = await service.authenticate(
            session, login=login, password=password, ip=ip, limit=settings.login_rate_limit
        )
        if result.user is not None:
            await service.audit(session, action="login.ok", actor_id=result.user.user_id, ip=ip)
    if result.user is None:
        error = (
            "Too many failed attempts. Try again later."
            if result.locked
            else ("Wrong login or password.")
        )
        ctx = {"next": safe_next(next), "error": error, "login": login}
        return render(
            request, "accounts/login.html", ctx, status_code=429 if result.locked else 401
        )
    return await _start_session(request, rt, result.user.user_id, next)


@pages.post("/logout", dependencies=[Csrf])
async def logout(request: Request, rt: RuntimeDep, user: OptionalUser) -> Response:
    async with transaction(rt.factory) as session:
        key = getattr(request.state, "session_key", None)
        if key:
            await service.end_web_session(session, key)
        if user is not None:
            await service.audit(
                session, action="logout", actor_id=user.user_id, ip=client_ip(request)
            )
    response = RedirectResponse("/login", status_code=303)
    set_session_cookie(request, response, service.new_secret())
    return response


@pages.get("/register")
async def register_page(request: Request, user: OptionalUser) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "accounts/register.html", {"errors": {}, "values": {}})


@pages.post("/register", dependencies=[Csrf])
async def register_submit(
    request: Request,
    rt: RuntimeDep,
    phone: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    display_name: Annotated[str, Form(max_length=128)] = "",
    village_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    values = {"phone": phone, "display_name": display_name, "village_code": village_code}
    try:
        async with transaction(rt.factory) as session:
            row = await service.register_resident(
                session,
                phone=phone,
                password=password,
                display_name=display_name,
                village_code=village_code,
                language=request_locale(request),
                ip=client_ip(request),
            )
    except FieldError as exc:
        ctx = {"errors": {exc.field: exc.reason}, "values": values}
        return render(request, "accounts/register.html", ctx, status_code=422)
    rt.wake_relay()
    return await _start_session(request, rt, row.user_id, "/")


@pages.get("/profile")
async def profile(
    request: Request, user: CurrentUser, changed: bool = False, email_saved: bool = False
) -> Response:
    ctx = {"me": user, "errors": {}, "changed": changed, "email_saved": email_saved}
    return render(request, "accounts/profile.html", ctx)


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
        ctx = {"me": user, "errors": {exc.field: exc.reason}, "changed": False, "email": email}
        return render(request, "accounts/profile.html", ctx, status_code=422)
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
        ctx = {"me": user, "errors": {exc.field: exc.reason}, "changed": False}
        return render(request, "accounts/profile.html", ctx, status_code=422)
    return await _start_session(request, rt, user.user_id, "/profile?changed=1")


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
    responses={401: {"description": "wrong login or password"}, 429: {"description": "locked"}},
    openapi_extra=_token_body(),
)
async def issue_token(request: Request, rt: RuntimeDep) -> TokenRead:
    """Exchange a username (staff) or phone (residents) and password for a bearer token: a JSON
    body, or the OAuth2 password form (`grant_type=password`). The token expires at
    `expires_at`; 429 after too many failed attempts."""
    body = await _credentials(request)
    settings = portal_of(request).settings
    ip = client_ip(request)
    async with transaction(rt.factory) as session:
        result = await service.authenticate(
            session,
            login=body.username,
            password=body.password,
            ip=ip,
            limit=settings.login_rate_limit,
        )
        if result.user is not None:
            token, expires = await service.issue_token(
                session, user_id=result.user.user_id, ttl=settings.session_max_age_seconds
            )
            await service.audit(session, action="token.issued", actor_id=result.user.user_id, ip=ip)
            return TokenRead(access_token=token, expires_at=expires, user=_user_read(result.user))
    if result.locked:
        raise HTTPException(status_code=429, detail="too many failed attempts; try again later")
    raise HTTPException(
        status_code=401, detail="wrong login or password", headers={"WWW-Authenticate": "Bearer"}
    )


@api.post("/auth/register", response_model=UserRead, status_code=201)
async def register_api(body: ResidentCreate, request: Request, rt: RuntimeDep) -> UserRead:
    """Register a resident by phone number (422 names the field: e.g. a phone already taken)."""
    async with transaction(rt.factory) as session:
        row = await service.register_resident(
            session,
            phone=body.phone,
            password=body.password,
            display_name=body.display_name,
            village_code=body.village_code,
            language=body.language,
            ip=client_ip(request),
        )
    rt.wake_relay()
    return _user_read(row)


@api.get("/me", response_model=UserRead)
async def me(user: CurrentUser) -> UserRead:
    """The caller's account (phone masked)."""
    return _user_read(user)
