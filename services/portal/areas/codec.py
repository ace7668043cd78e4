"""Temporal's codec-server protocol (POST /codec/decode, /codec/encode) for the Temporal Web UI:
workflow payloads are encrypted (shared/codec.py), and only a logged-in station chief or
administrator sees them in clear. The UI calls from its own origin with the portal's session
cookie (TEMPORAL_CODEC_INCLUDE_CREDENTIALS), so CORS admits that one origin, with credentials.
Every decode is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from services.portal import service
from services.portal.deps import SessionDep, User
from services.portal.web import client_ip, portal_of
from shared.codec import EncryptionCodec, parse_keys

pages = APIRouter()
ORDER = 96

CODEC_ROLES = frozenset({"station_chief", "admin"})
ALLOWED_HEADERS = "content-type, x-namespace, authorization"


def _cors(request: Request, response: Response) -> Response:
    origin = portal_of(request).settings.temporal_ui_origin.rstrip("/")
    if request.headers.get("origin", "").rstrip("/") == origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
    return response


def _refusal(request: Request, status: int, message: str) -> Response:
    return _cors(request, JSONResponse({"detail": message}, status_code=status))


def _codec(request: Request) -> EncryptionCodec:
    codec: EncryptionCodec | None = getattr(request.app.state, "payload_codec", None)
    if codec is None:
        codec = EncryptionCodec(parse_keys(portal_of(request).settings.temporal_keys))
        request.app.state.payload_codec = codec
    return codec


async def _payloads(request: Request) -> Payloads | Response:
    user: User | None = getattr(request.state, "user", None)
    if user is None:
        return _refusal(request, 401, "log in to the portal as station chief or administrator")
    if user.role not in CODEC_ROLES:
        return _refusal(request, 403, "only station chiefs and administrators see payloads")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refusal(request, 415, "payloads are sent as application/json")
    try:
        body: Any = await request.json()
        return json_format.ParseDict(body, Payloads())
    except (ValueError, json_format.ParseError) as exc:
        return _refusal(request, 400, f"payloads: {exc}")


def _answer(request: Request, payloads: list[Any]) -> Response:
    body = json_format.MessageToDict(Payloads(payloads=payloads))
    return _cors(request, JSONResponse({"payloads": body.get("payloads", [])}))


@pages.options("/codec/{operation}")
async def codec_preflight(request: Request, operation: str) -> Response:
    return _cors(request, Response(status_code=204))


@pages.post("/codec/decode")
async def codec_decode(request: Request, session: SessionDep) -> Response:
    parsed = await _payloads(request)
    if isinstance(parsed, Response):
        return parsed
    try:
        decoded = await _codec(request).decode(parsed.payloads)
    except Exception as exc:
        return _refusal(request, 400, f"payloads: cannot decode ({exc})")
    user: User = request.state.user
    await service.audit(
        session,
        action="temporal.decode",
        actor_id=user.user_id,
        subject=request.headers.get("x-namespace", ""),
        ip=client_ip(request),
        detail={"payloads": len(decoded)},
    )
    await session.commit()
    return _answer(request, decoded)


@pages.post("/codec/encode")
async def codec_encode(request: Request) -> Response:
    parsed = await _payloads(request)
    if isinstance(parsed, Response):
        return parsed
    return _answer(request, await _codec(request).encode(parsed.payloads))
