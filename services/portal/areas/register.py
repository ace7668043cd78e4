"""Registration area: a resident registers with their phone and confirms it with the code the
SMS brought (pages and API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.portal import signup
from services.portal.areas import _disputes_backend as disputes
from services.portal.areas._accounts_common import start_session, user_read
from services.portal.deps import (
    Clients,
    FieldError,
    OptionalUser,
    RuntimeDep,
    ServiceClients,
    User,
    render,
    verify_csrf,
)
from services.portal.models import UserRow
from services.portal.schemas import (
    RegistrationConfirm,
    RegistrationPending,
    ResidentCreate,
    UserRead,
)
from services.portal.web import client_ip, portal_of, request_locale
from shared.contracts.disputes_read import VillageRead
from shared.db import transaction
from shared.pii import mask_phone

pages = APIRouter()
api = APIRouter(prefix="/api/v1")
ORDER = 90
NAV: list[tuple[str, str, set[str]]] = [("/register", "Register", {"anonymous"})]
Csrf = Depends(verify_csrf)
# Who the directory is asked as before an account exists.
_APPLICANT = User(user_id="registration", role="resident", display_name="")


async def _villages(clients: ServiceClients) -> list[VillageRead]:
    return await disputes.villages(clients, _APPLICANT, None)


async def _start(
    request: Request, rt: RuntimeDep, clients: ServiceClients, body: ResidentCreate
) -> signup.CodeSent:
    known = {v.code for v in await _villages(clients)}
    async with transaction(rt.factory) as session:
        sent = await signup.start_registration(
            session,
            secret_key=portal_of(request).settings.secret_key,
            phone=body.phone,
            password=body.password,
            display_name=body.display_name,
            village_code=body.village_code,
            known_villages=known,
            language=body.language,
            ip=client_ip(request),
        )
    rt.wake_relay()
    return sent


async def _confirm(request: Request, rt: RuntimeDep, registration_id: str, code: str) -> UserRow:
    error: FieldError | None = None
    async with transaction(rt.factory) as session:
        try:
            row = await signup.confirm_registration(
                session,
                secret_key=portal_of(request).settings.secret_key,
                registration_id=registration_id,
                code=code,
                ip=client_ip(request),
            )
        except FieldError as exc:  # committed all the same: a wrong code stays counted
            error = exc
    if error is not None:
        raise error
    rt.wake_relay()
    return row


@pages.get("/register")
async def register_page(request: Request, user: OptionalUser, clients: Clients) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    ctx = {"errors": {}, "values": {}, "villages": await _villages(clients)}
    return render(request, "accounts/register.html", ctx)


@pages.post("/register", dependencies=[Csrf])
async def register_submit(
    request: Request,
    rt: RuntimeDep,
    clients: Clients,
    phone: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    display_name: Annotated[str, Form(max_length=128)] = "",
    village_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    values = {"phone": phone, "display_name": display_name, "village_code": village_code}
    body = ResidentCreate.model_construct(
        phone=phone,
        password=password,
        display_name=display_name,
        village_code=village_code,
        language=request_locale(request),
    )
    try:
        sent = await _start(request, rt, clients, body)
    except FieldError as exc:
        ctx: dict[str, Any] = {
            "errors": {exc.field: exc.reason},
            "values": values,
            "villages": await _villages(clients),
        }
        return render(request, "accounts/register.html", ctx, status_code=422)
    shown = {
        "registration_id": sent.registration_id,
        "phone": mask_phone(sent.phone),
        "error": None,
    }
    return render(request, "accounts/confirm.html", shown)


@pages.post("/register/confirm", dependencies=[Csrf])
async def confirm_submit(
    request: Request,
    rt: RuntimeDep,
    registration_id: Annotated[str, Form(max_length=64)] = "",
    code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    try:
        row = await _confirm(request, rt, registration_id, code)
    except FieldError as exc:
        ctx = {
            "registration_id": registration_id,
            "phone": None,
            "error": exc.reason,
        }
        async with rt.factory() as session:
            waiting = await signup.pending(session, registration_id)
        if waiting is None:
            ctx["registration_id"] = None  # nothing left to confirm: register again
        else:
            ctx["phone"] = mask_phone(waiting.phone)
        return render(request, "accounts/confirm.html", ctx, status_code=422)
    return await start_session(request, rt, row.user_id, "/")


@api.post("/auth/register", response_model=RegistrationPending, status_code=202)
async def register_api(
    body: ResidentCreate, request: Request, rt: RuntimeDep, clients: Clients
) -> RegistrationPending:
    """Start registering a resident: a code goes by SMS to the phone (422 names the field)."""
    sent = await _start(request, rt, clients, body)
    return RegistrationPending(
        registration_id=sent.registration_id,
        phone=mask_phone(sent.phone),
        expires_at=sent.expires_at,
    )


@api.post("/auth/register/confirm", response_model=UserRead, status_code=201)
async def confirm_api(body: RegistrationConfirm, request: Request, rt: RuntimeDep) -> UserRead:
    """Create the account with the code from the SMS (5 wrong codes end the registration)."""
    return user_read(await _confirm(request, rt, body.registration_id, body.code))
