"""`python -m services.notifications.sink`: a fake SMS gateway, group bot and SMTP server.

HTTP (SinkSettings.port): `POST /sms` and `POST /bot` accept apprise's `json://` payload
(`title`, `message`, plus `to` / `group`) and WeCom/DingTalk robot JSON (`msgtype`, `text`,
`markdown`); `GET /` is a page listing everything received, `GET /api/messages` the same as
JSON. SMTP (SinkSettings.smtp_port, aiosmtpd): every mail is recorded too. Messages are kept
in memory (the newest `keep_messages`); this is a demo and test stand-in, never production.
"""

from __future__ import annotations

import email
import email.policy
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from shared.config import SinkSettings
from shared.logs import setup_logging
from shared.web import instrument

Kind = Literal["sms", "bot", "email"]


class SinkMessage(BaseModel):
    id: int
    kind: Kind
    to: str
    subject: str
    body: str
    received_at: datetime


class MessageStore:
    def __init__(self, keep: int) -> None:
        self._messages: deque[SinkMessage] = deque(maxlen=keep)
        self._next = 1

    def add(self, kind: Kind, to: str, subject: str, body: str) -> SinkMessage:
        msg = SinkMessage(
            id=self._next,
            kind=kind,
            to=to,
            subject=subject,
            body=body,
            received_at=datetime.now(UTC),
        )
        self._next += 1
        self._messages.append(msg)
        return msg

    def list(self, kind: str | None = None, to: str | None = None) -> list[SinkMessage]:
        return [
            m
            for m in reversed(self._messages)
            if (kind is None or m.kind == kind) and (to is None or m.to == to)
        ]

    def clear(self) -> None:
        self._messages.clear()


def parse_webhook(payload: dict[str, Any], target_key: str) -> tuple[str, str, str]:
    """(to, subject, body) from apprise JSON or WeCom/DingTalk robot JSON."""
    to = str(payload.get(target_key) or payload.get("to") or payload.get("group") or "")
    if "msgtype" in payload:
        kind = str(payload["msgtype"])
        inner = payload.get(kind) or {}
        body = str(inner.get("content") or inner.get("text") or "")
        return to, str(inner.get("title", "")), body
    return to, str(payload.get("title", "")), str(payload.get("message", ""))


class SmtpHandler:
    def __init__(self, store: MessageStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject, body = "", ""
        if isinstance(parsed, EmailMessage):
            subject = str(parsed.get("Subject", ""))
            part = parsed.get_body(preferencelist=("plain", "html"))
            body = part.get_content() if part is not None else ""
        self.store.add("email", ", ".join(envelope.rcpt_tos), subject, body.strip())
        return "250 Message accepted"


# its one page carries its own small stylesheet and no script at all
SINK_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
)


def create_sink_app(settings: SinkSettings, *, smtp: bool = True) -> FastAPI:
    store = MessageStore(settings.keep_messages)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        controller = None
        if smtp:
            controller = Controller(
                SmtpHandler(store), hostname=settings.host, port=settings.smtp_port
            )
            controller.start()
        yield
        if controller is not None:
            controller.stop()

    app = FastAPI(title="Fengqiao local message sink", lifespan=lifespan)
    app.state.store = store

    @app.post("/sms")
    async def sms(request: Request) -> dict[str, int]:
        to, subject, body = parse_webhook(await request.json(), "to")
        return {"id": store.add("sms", to, subject, body).id}

    @app.post("/bot")
    async def bot(request: Request) -> dict[str, int]:
        to, subject, body = parse_webhook(await request.json(), "group")
        return {"id": store.add("bot", to, subject, body).id}

    @app.get("/api/messages", response_model=list[SinkMessage])
    async def messages(kind: Kind | None = None, to: str | None = None) -> list[SinkMessage]:
        return store.list(kind, to)

    @app.delete("/api/messages", status_code=204)
    async def clear() -> None:
        store.clear()

    @app.get("/", response_class=HTMLResponse)
    async def page(kind: Kind | None = None) -> HTMLResponse:
        html = TEMPLATES.get_template("sink.html").render(
            messages=store.list(kind), kind=kind or "", smtp_port=settings.smtp_port
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": SINK_CSP})

    instrument(app, "sink", {}, internal_token=settings.internal_token)
    return app


def main() -> None:
    settings = SinkSettings()
    setup_logging("sink", settings.log_level, json_output=settings.log_json)
    uvicorn.run(create_sink_app(settings), host=settings.host, port=settings.port, log_config=None)
