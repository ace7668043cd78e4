"""The portal's web machinery: request context (who, which language), rendering, errors, areas.

`deps.py` re-exports what areas use; this module is the implementation behind it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib
import ipaddress
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from pydantic import ValidationError
from starlette.routing import Match

from services.portal import service
from services.portal.links import task_path
from services.portal.reasons import translate_reason
from shared.config import PortalSettings
from shared.contracts.notifications import UnreadCount
from shared.i18n import LANGUAGE_TAGS, LOCALES, Translator, current_locale, normalise
from shared.templating import make_environment

log = logging.getLogger("fengqiao.portal")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
TRANSLATIONS = HERE / "translations"
STATIC = HERE / "static"
SESSION_COOKIE = "fq_session"
LANG_COOKIE = "fq_lang"
ANONYMOUS = "anonymous"
_UNAUTHENTICATED_PREFIXES = (
    "/static/",
    "/sw.js",
    "/healthz",
    "/metrics",
    "/docs",
    "/openapi.json",
)
UNREAD_PATH = "/internal/v1/users/{user_id}/unread"
# The nav badge is a nicety: a slow or absent notifications service must not slow a page.
UNREAD_TIMEOUT_SECONDS = 0.3

NavEntry = tuple[str, str, set[str]]

ROLE_LABELS = {
    "resident": "Resident",
    "officer": "Community officer",
    "station_chief": "Station chief",
    "group_leader": "Volunteer-group leader",
    "clerk": "Supermarket clerk",
    "admin": "Administrator",
    "partner": "Partner organisation",
}


@dataclass(frozen=True)
class User:
    user_id: str
    role: str
    display_name: str
    phone: str | None = None
    village_code: str | None = None
    station_code: str | None = None
    police_room_code: str | None = None
    language: str = "zh_CN"
    email: str | None = None
    partner_code: str | None = None  # a partner account's organisation (the disputes directory)

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            user_id=row.user_id,
            role=row.role,
            display_name=row.display_name,
            phone=row.phone,
            village_code=row.village_code,
            station_code=row.station_code,
            police_room_code=row.police_room_code,
            language=row.language,
            email=row.email,
            partner_code=row.partner_code,
        )


@dataclass
class ServiceClients:
    disputes: httpx.AsyncClient
    appointments: httpx.AsyncClient
    points: httpx.AsyncClient
    notifications: httpx.AsyncClient

    async def aclose(self) -> None:
        for c in (self.disputes, self.appointments, self.points, self.notifications):
            await c.aclose()


class RecordingTranslator(Translator):
    """Remembers every msgid asked for, so a test can check the catalogue covers the pages."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.seen: set[str] = set()

    def gettext(self, message: str) -> str:
        self.seen.add(message)
        return super().gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.seen.add(singular)
        return super().ngettext(singular, plural, n)


@dataclass
class Area:
    name: str
    module: ModuleType
    nav: list[NavEntry] = field(default_factory=list)
    order: int = 50


@dataclass
class Portal:
    """Everything the portal's requests share, kept on `app.state.portal`."""

    settings: PortalSettings
    translator: RecordingTranslator
    templates: Environment
    areas: list[Area]
    clients: ServiceClients | None = None

    @property
    def nav(self) -> list[NavEntry]:
        return [entry for area in self.areas for entry in area.nav]


def discover_areas(package: str = "services.portal.areas") -> list[Area]:
    pkg = importlib.import_module(package)
    areas = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        nav = list(getattr(module, "NAV", []))
        areas.append(Area(info.name, module, nav, int(getattr(module, "ORDER", 50))))
    return sorted(areas, key=lambda a: (a.order, a.name))


def include_areas(app: FastAPI, areas: Iterable[Area]) -> None:
    for area in areas:
        pages = getattr(area.module, "pages", None)
        api = getattr(area.module, "api", None)
        if isinstance(pages, APIRouter):
            app.include_router(pages, include_in_schema=False)
        if isinstance(api, APIRouter):
            app.include_router(api, tags=[area.name])


def make_portal(settings: PortalSettings, areas: list[Area]) -> Portal:
    translator = RecordingTranslator(TRANSLATIONS)
    env = make_environment(
        [TEMPLATES],
        translator,
        globals_={"LOCALES": LOCALES, "ROLE_LABELS": ROLE_LABELS, "task_path": task_path},
    )
    env.filters["reason"] = lambda text: translate_reason(
        str(text), TRANSLATIONS, current_locale.get()
    )
    return Portal(settings, translator, env, areas)


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def client_ip(request: Request) -> str | None:
    """The peer's address; behind a proxy listed in `trusted_proxies`, the nearest address in
    X-Forwarded-For that is not one of those proxies (a client cannot choose its address)."""
    peer = request.client.host if request.client else None
    proxies = portal_of(request).settings.trusted_proxies
    if peer is None or not proxies or not is_trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not is_trusted(hop, proxies):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_trusted(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def csrf_token(request: Request) -> str:
    key = getattr(request.state, "session_key", None) or ""
    secret = portal_of(request).settings.secret_key.encode()
    return hmac.new(secret, f"csrf:{key}".encode(), hashlib.sha256).hexdigest()


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    settings = portal_of(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def request_locale(request: Request) -> str:
    user: User | None = getattr(request.state, "user", None)
    if user is not None:
        return normalise(user.language)
    return normalise(request.cookies.get(LANG_COOKIE))


def nav_for(request: Request, user: User | None) -> list[tuple[str, str]]:
    role = user.role if user else ANONYMOUS
    return [(path, label) for path, label, roles in portal_of(request).nav if role in roles]


def has_route(request: Request, path: str) -> bool:
    """True when some area serves GET `path` (pages link only to what exists)."""
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(r.matches(scope)[0] == Match.FULL for r in request.app.router.routes)


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    portal = portal_of(request)
    user: User | None = getattr(request.state, "user", None)
    locale = request_locale(request)
    current_locale.set(locale)
    ctx: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf_token": csrf_token(request),
        "nav": nav_for(request, user),
        "locale": locale,
        "lang_tag": LANGUAGE_TAGS.get(locale, "zh-CN"),
        "path": request.url.path,
        "has_route": lambda p: has_route(request, p),
        "unread": getattr(request.state, "unread", None) if user else None,
    }
    ctx.update(context or {})
    html = portal.templates.get_template(template_name).render(ctx)
    return HTMLResponse(html, status_code=status_code)


async def unread_count(portal: Portal, user: User) -> int | None:
    """The user's unread inbox messages, or None when the notifications service does not
    answer well within UNREAD_TIMEOUT_SECONDS."""
    if portal.clients is None:
        return None
    path = UNREAD_PATH.format(user_id=quote(user.user_id, safe=""))
    try:
        async with asyncio.timeout(UNREAD_TIMEOUT_SECONDS):
            resp = await portal.clients.notifications.get(path, timeout=UNREAD_TIMEOUT_SECONDS)
    except (httpx.HTTPError, TimeoutError) as exc:
        log.info("no unread count for the nav: %r", exc)
        return None
    if resp.status_code != 200:
        return None
    try:
        return max(UnreadCount.model_validate_json(resp.content).unread, 0)
    except ValidationError:
        return None


class LoginRequired(Exception):
    """No (valid) session or bearer token: pages redirect to /login, the API answers 401."""


async def load_request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Middleware: who is asking (session cookie for pages, bearer token for /api), and in what
    language. A browser without a cookie gets an anonymous random value, so the login and
    registration forms have a CSRF token bound to it; login replaces it (rotation)."""
    request.state.user = None
    request.state.via = None
    path = request.url.path
    cookie = request.cookies.get(SESSION_COOKIE)
    fresh: str | None = None
    if not path.startswith(_UNAUTHENTICATED_PREFIXES):
        runtime = request.app.state.runtime
        async with runtime.factory() as session:
            if path.startswith("/api/"):
                header = request.headers.get("authorization", "")
                scheme, _, token = header.partition(" ")
                if scheme.lower() == "bearer" and token:
                    row = await service.token_user(session, token.strip())
                    if row is not None:
                        request.state.user, request.state.via = User.from_row(row), "bearer"
            elif cookie:
                row = await service.session_user(session, cookie)
                if row is not None:
                    request.state.user, request.state.via = User.from_row(row), "session"
    if cookie is None and not path.startswith("/api/"):
        fresh = cookie = service.new_secret()
    request.state.session_key = cookie
    current_locale.set(request_locale(request))
    request.state.unread = None
    if request.state.user is not None and request.method == "GET" and not is_api(request):
        request.state.unread = await unread_count(portal_of(request), request.state.user)
    response = await call_next(request)
    if fresh is not None and SESSION_COOKIE not in response.headers.get("set-cookie", ""):
        set_session_cookie(request, response, fresh)
    return response
