"""Partner organisations' area (village committee, judicial office, women's federation, township
government): the requests the police sent the user's organisation, with their deadlines, a
linked case (only what the linkage needs) and the answer, as pages (phone-sized) and JSON API.

Every object is checked by the disputes service against the account's organisation: a case not
linked to it is 403, an unknown one 404."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator

from services.portal.areas import _partners_backend as backend
from services.portal.areas._disputes_labels import ALL as LABELS
from services.portal.deps import Clients, FieldError, User, render, require_roles, verify_csrf
from shared.linkage import LinkagePage, PartnerCaseRead

pages = APIRouter()
api = APIRouter(prefix="/api/v1")
ORDER = 45
NAV: list[tuple[str, str, set[str]]] = [("/partner", "Linkage requests", {"partner"})]
Partner = Annotated[User, Depends(require_roles("partner"))]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not a partner account, or the case is not linked to your organisation"},
    404: {"description": "no such case"},
}


class PartnerReplyCreate(BaseModel):
    request_id: str = Field(min_length=1, max_length=96, description="one of the case's requests")
    answer: str = Field(min_length=1, max_length=2000, pattern=r"\S")

    @field_validator("answer")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


# --- pages ----------------------------------------------------------------------------------


@pages.get("/partner")
async def requests_page(request: Request, user: Partner, clients: Clients) -> Response:
    page = await backend.requests(clients, user, include_closed=True)
    return render(
        request,
        "partners/requests.html",
        {
            "partner": page.partner,
            "open": [r for r in page.items if r.open],
            "done": [r for r in page.items if not r.open],
            "L": LABELS,
        },
    )


def _case_page(
    request: Request,
    case: PartnerCaseRead,
    *,
    refused: str | None = None,
    errors: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    answered: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "partners/case.html",
        {
            "case": case,
            "refused": refused,
            "errors": errors or [],
            "values": values or {},
            "answered": answered,
            "idem": uuid.uuid4().hex,
            "L": LABELS,
        },
        status_code=status_code,
    )


@pages.get("/partner/cases/{case_id}")
async def case_page(
    request: Request, user: Partner, clients: Clients, case_id: str, answered: str = ""
) -> Response:
    case = await backend.linked_case(clients, user, case_id)
    return _case_page(request, case, answered=bool(answered))


@pages.post("/partner/cases/{case_id}/reply", dependencies=[Depends(verify_csrf)])
async def reply_page(
    request: Request,
    user: Partner,
    clients: Clients,
    case_id: str,
    request_id: Annotated[str, Form(max_length=96)] = "",
    answer: Annotated[str, Form(max_length=2000)] = "",
    idem: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    values = {"request_id": request_id, "answer": answer}
    if not answer.strip():
        case = await backend.linked_case(clients, user, case_id)
        error = FieldError("answer", "must not be blank")
        return _case_page(request, case, errors=[error], values=values, status_code=422)
    try:
        await backend.reply(
            clients,
            user,
            case_id,
            request_id=request_id,
            answer=answer.strip(),
            idempotency_key=idem or None,
        )
    except backend.Refused as exc:
        case = await backend.linked_case(clients, user, case_id)
        return _case_page(request, case, refused=exc.reason, values=values, status_code=409)
    except FieldError as exc:
        case = await backend.linked_case(clients, user, case_id)
        return _case_page(request, case, errors=[exc], values=values, status_code=422)
    return RedirectResponse(f"/partner/cases/{case_id}?answered=1", status_code=303)


# --- JSON API -------------------------------------------------------------------------------


@api.get(
    "/partner/requests",
    summary="My organisation's linkage requests, open ones first (overdue, then by deadline)",
    responses={403: ERRORS[403]},
)
async def list_requests(
    user: Partner, clients: Clients, include_closed: bool = False
) -> LinkagePage:
    """The requests officers sent the caller's partner organisation, each with its deadline;
    `include_closed` adds those answered (or closed with their case)."""
    return await backend.requests(clients, user, include_closed=include_closed)


@api.get(
    "/partner/cases/{case_id}",
    summary="A case linked to my organisation (no ID numbers, phones masked)",
    responses=ERRORS,
)
async def get_case(user: Partner, clients: Clients, case_id: str) -> PartnerCaseRead:
    return await backend.linked_case(clients, user, case_id)


@api.post(
    "/partner/cases/{case_id}/reply",
    summary="Answer a linkage request sent to my organisation",
    response_model=PartnerCaseRead,
    description="Records `partner-reply` in the case's workflow as the caller (the timeline "
    "shows the organisation and the person), closes the request's task and tells the officer. "
    "`request_id` must be one of the case's requests to the caller's organisation (422 "
    "otherwise); 409 with the reason when it was already answered or the case no longer "
    "takes answers.",
    responses={
        **ERRORS,
        409: {"description": "already answered, or refused by the case's workflow (reason)"},
    },
)
async def reply(
    user: Partner,
    clients: Clients,
    case_id: str,
    body: PartnerReplyCreate,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=128, description="a retry answers once"),
    ] = None,
) -> PartnerCaseRead | JSONResponse:
    try:
        return await backend.reply(
            clients,
            user,
            case_id,
            request_id=body.request_id,
            answer=body.answer,
            idempotency_key=idempotency_key,
        )
    except backend.Refused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=409)
