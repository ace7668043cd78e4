"""`make run`'s demo county, seeded small through the real processes on free ports: what each
demo role finds waiting, and that a second seeding adds nothing. Marked soak: the whole stack
plus the seeding takes one to three minutes on 2 cores (make soak); tests/deploy/
test_demo_plan.py and tests/portal/test_charts.py keep the plan and the charts in make test."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.helpers import free_ports
from tests.portal.browser import SCREENSHOTS, browser_page, log_in, screenshot
from tests.portal.test_pages_walk import language_problems, local_links

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCOUNTS = {a["role"]: a for a in json.loads((REPO / "deploy/demo/accounts.json").read_text())}
PARTS = {"disputes", "desk", "points"}


def stack_env(tmp_path: Path) -> tuple[dict[str, str], int]:
    ports = free_ports(11)
    names = ["portal", "disputes", "appointments", "points", "notifications", "sink"]
    env = dict(os.environ)
    env.update(
        FQ_VAR_DIR=str(tmp_path / "var"),
        FQ_EXCHANGE=f"fq-demo-{tmp_path.name[-8:]}",
        FQ_STACK_TEMPORAL_PORT=str(ports[6]),
        FQ_STACK_TEMPORAL_UI_PORT=str(ports[7]),
        FQ_STACK_TEMPORAL_HTTP_PORT=str(ports[8]),
        FQ_STACK_TEMPORAL_METRICS_PORT=str(ports[9]),
        FQ_SINK_SMTP_PORT=str(ports[10]),
        FQ_LOG_LEVEL="WARNING",
    )
    for name, port in zip(names, ports, strict=False):
        env[f"FQ_{name.upper()}_PORT"] = str(port)
    return env, ports[0]


def marker(tmp_path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((tmp_path / "var" / "demo-county.json").read_text())
    except (OSError, ValueError):
        return {}
    return data


def browser(base: str, role: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60)
    token = CSRF.search(c.get("/login").text)
    assert token is not None
    account = ACCOUNTS[role]
    form = {"login": account["username"], "password": account["password"], "next": "/"}
    r = c.post("/login", data={**form, "csrf_token": token.group(1)})
    assert r.status_code == 303, (role, r.status_code)
    return c


def walk_language(base: str, *, per_role: int = 30) -> dict[str, list[str]]:
    """Every role's pages (up to `per_role` each) in both languages, full of the county's
    data: {"<language> <role> <path>": what is not in the page's language}."""
    found: dict[str, list[str]] = {}
    for language in ("zh_CN", "en"):
        for role in ACCOUNTS:
            client = browser(base, role)
            token = CSRF.search(client.get("/profile").text)
            assert token is not None
            client.post("/lang", data={"language": language, "csrf_token": token.group(1)})
            seen: set[str] = set()
            queue = ["/"]
            while queue and len(seen) < per_role:
                path = queue.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                r = client.get(path, follow_redirects=True)
                assert r.status_code < 500, (role, path, r.status_code)
                if not r.headers.get("content-type", "").startswith("text/html"):
                    continue
                problems = language_problems(r.text, language)
                if problems:
                    found[f"{language} {role} {path}"] = problems
                queue += [p for p in local_links(f"http://portal.test{path}", r.text)]
    return found


async def shoot(base: str) -> dict[str, int]:
    """Each demo role's first page of work on a phone, and the figures in both languages
    (test-artifacts/screenshots/demo-*.png; the README shows some). Returns charts drawn."""
    shots = {
        "officer": ["/tasks"],
        "station_chief": ["/supervision/stuck", "/supervision/figures"],
        "group_leader": ["/patrols"],
        "resident": ["/"],
        "clerk": ["/"],
    }
    charts: dict[str, int] = {}
    async with browser_page() as page:
        for role, paths in shots.items():
            account = ACCOUNTS[role]
            await log_in(page, base, account["username"], account["password"])
            for path in paths:
                await page.goto(f"{base}{path}")
                assert await page.evaluate("document.documentElement.scrollWidth") <= 360, path
                name = path.strip("/").replace("/", "-") or "home"
                await screenshot(page, f"demo-{role}-{name}-zh-phone")
            if role == "station_chief":
                charts["zh"] = await page.locator("svg.fq-chart").count()
                await page.click("form.lang button")
                await page.goto(f"{base}/supervision/figures")
                charts["en"] = await page.locator("svg.fq-chart").count()
                await page.locator("details.fq-numbers").first.locator("summary").click()
                await screenshot(page, "demo-station_chief-figures-en-phone")
                await page.click("form.lang button")
            await page.context.clear_cookies()  # the next role logs in afresh
    return charts


def api(base: str, role: str) -> httpx.Client:
    account = ACCOUNTS[role]
    r = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": account["username"], "password": account["password"]},
        timeout=60,
    )
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return httpx.Client(base_url=base, headers=headers, timeout=60)


@pytest.mark.soak
@pytest.mark.timeout(420)
def test_demo_county_gives_every_demo_role_work_and_seeds_once(tmp_path: Path) -> None:
    env, portal_port = stack_env(tmp_path)
    base = f"http://127.0.0.1:{portal_port}"
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.run", "--scale", "0.02"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 360
        while time.monotonic() < deadline and set(marker(tmp_path)) != PARTS:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(2)
        done = marker(tmp_path)
        assert set(done) == PARTS, (tmp_path / "run.log").read_text()[-3000:]
        assert [p for p in PARTS if done[p]["failures"]] == [], done
        assert done["disputes"]["started"] >= 16

        # the officer: accept, follow-up (one already late), linkage, applications, visits
        tasks = api(base, "officer").get("/api/v1/tasks").json()
        kinds = tasks["counts"]
        assert {"accept", "follow_up", "linkage", "application"} <= set(kinds), kinds
        assert any(t["overdue"] for t in tasks["items"])

        # the chief: closures to approve, and lateness on the stuck board
        chief = api(base, "station_chief")
        assert chief.get("/api/v1/tasks").json()["counts"].get("closure_approval", 0) >= 2
        board = chief.get("/api/v1/supervision/stuck").json()["items"]
        late = [r for r in board if r["kind"] == "business" and r["level"] == "red"]
        assert len(late) >= 3, board
        assert all(r["station_code"] == ACCOUNTS["station_chief"]["station"] for r in board)

        # the figures are charts with their numbers
        page = browser(base, "station_chief").get("/supervision/figures").text
        assert page.count('<svg class="fq-chart" role="img"') >= 5
        assert "<desc id=" in page and '<th scope="row">头营镇</th>' in page

        # the group leader: patrols waiting for co-signature; the clerk: goods to hand over
        leader = browser(base, "group_leader")
        patrols = leader.get("/patrols").text
        assert "G01" in patrols or "六盘义警" in patrols
        resident = api(base, "resident")
        me = resident.get("/api/v1/me").json()
        assert me["user_id"] == ACCOUNTS["resident"]["user_id"]

        # on a phone: every role's page, the charts in both languages
        charts = asyncio.run(shoot(base))
        assert charts["zh"] >= 8 and charts["en"] == charts["zh"], charts

        # every page in both languages: the figures are clean; what other pages still show
        # untranslated is written down for their areas (test-artifacts/language-problems.txt)
        problems = walk_language(base)
        SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS.parent / "language-problems.txt").write_text(
            "".join(f"{page}: {p}\n" for page, ps in sorted(problems.items()) for p in ps),
            encoding="utf-8",
        )
        assert not [page for page in problems if page.endswith("/supervision/figures")], problems

        # a second seeding finds the marker and adds nothing
        again = subprocess.run(
            [sys.executable, "-m", "deploy.demo_county", "--scale", "0.02"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr[-2000:]
        assert marker(tmp_path) == done
        assert api(base, "officer").get("/api/v1/tasks").json()["counts"] == kinds
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        log.close()
