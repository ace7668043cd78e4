"""Every page and answer carries the security headers (a CSP without inline script or style,
no framing, nosniff, a referrer policy); the templates hold no inline script, handler or
style; /metrics answers only holders of the internal token."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.points.api import create_app as points_app
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import PointsSettings, SinkSettings
from tests.conftest import REPO
from tests.points.conftest import RULES
from tests.portal.conftest import PortalHarness, portal, portal_factory  # noqa: F401

TEMPLATE_DIRS = [
    REPO / "services" / "portal" / "templates",
    REPO / "services" / "notifications" / "templates",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def assert_secure_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_templates_hold_no_inline_script_handler_or_style() -> None:
    found = []
    for directory in TEMPLATE_DIRS:
        for path in sorted(Path(directory).rglob("*.html")):
            text = path.read_text(encoding="utf-8")
            for pattern in (INLINE_SCRIPT, HANDLER, STYLE):
                found += [f"{path.relative_to(REPO)}: {m.group()}" for m in pattern.finditer(text)]
    assert found == []


async def test_pages_errors_and_api_answers_carry_the_headers(
    portal: PortalHarness,  # noqa: F811
) -> None:
    anonymous = portal.client()
    for path in ("/login", "/register", "/no-such-page", "/api/v1/me"):
        assert_secure_headers(await anonymous.get(path))
    chief = await portal.login("station_chief")
    home = await chief.get("/")
    assert home.status_code == 200
    assert_secure_headers(home)
    assert not INLINE_SCRIPT.search(home.text) and not STYLE.search(home.text)
    css = await anonymous.get("/static/disputes.css")
    assert css.status_code == 200 and ".fq-badge" in css.text


async def test_portal_metrics_need_the_internal_token(
    portal: PortalHarness,  # noqa: F811
) -> None:
    c = portal.client()
    refused = await c.get("/metrics")
    assert refused.status_code == 401
    assert "fengqiao_http_requests_total" not in refused.text
    wrong = await c.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    token = portal.settings.internal_token
    for headers in ({INTERNAL_TOKEN_HEADER: token}, {"Authorization": f"Bearer {token}"}):
        allowed = await c.get("/metrics", headers=headers)
        assert allowed.status_code == 200
        assert "fengqiao_http_requests_total" in allowed.text


@pytest.mark.parametrize("service", ["points", "sink"])
async def test_backend_metrics_and_headers(service: str, tmp_path: Path) -> None:
    from services.notifications.sink.app import create_sink_app

    app: FastAPI
    if service == "points":
        settings = PointsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
        app = points_app(settings, rules=RULES)
    else:
        app = create_sink_app(SinkSettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as c:
        refused = await c.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["x-content-type-options"] == "nosniff"
        token = {INTERNAL_TOKEN_HEADER: "fengqiao-dev-internal-token"}
        assert (await c.get("/metrics", headers=token)).status_code == 200
        if service == "sink":
            page = await c.get("/")
            assert page.headers["content-security-policy"].startswith("default-src 'none'")
            assert "script-src" not in page.headers["content-security-policy"]
