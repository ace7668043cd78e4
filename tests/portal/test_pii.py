"""Phone numbers stay masked in logs and in the security log (pages and API)."""

from __future__ import annotations

import logging

import pytest

from tests.portal.conftest import PortalHarness

PHONE = "13966667777"


async def test_phone_numbers_are_masked_in_logs_and_audit(
    portal: PortalHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fengqiao")
    c = portal.client()
    form = {
        "phone": PHONE,
        "password": "long-enough-1",
        "display_name": "赵强",
        "village_code": "VYZ0101",
    }
    assert (await portal.register(c, form)).status_code == 303
    other = portal.client()
    r = await portal.post_form(other, "/login", {"login": PHONE, "password": "wrong-password"})
    assert r.status_code == 401

    messages = [rec.getMessage() for rec in caplog.records]
    assert any("139****7777" in m and "registered" in m for m in messages)
    assert any("139****7777" in m and "login failed" in m for m in messages)
    assert PHONE not in caplog.text

    admin_page = (await (await portal.login("admin")).get("/admin/audit")).text
    assert "139****7777" in admin_page and PHONE not in admin_page
    entries = (await (await portal.api("admin")).get("/api/v1/audit")).json()
    assert PHONE not in str(entries)
    assert {"login.failed", "account.registered"} <= {e["action"] for e in entries}
