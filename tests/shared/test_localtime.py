"""One local zone: FQ_TIMEZONE (Asia/Shanghai by default) decides what every service and the
portal call "a day" and how they show times; no module names a zone of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from shared.localtime import local_zone
from tests.conftest import REPO

PROBE = """
from services.appointments import calendar
from services.notifications import render
from services.points.rules import Rules
from services.portal.areas import _appointments_backend, _disputes_labels, notifications, points
from shared.contracts import appointments as schemas
zones = {calendar.TZ, schemas.TZ, render.LOCAL_TZ, Rules().tz, _appointments_backend.TZ,
         _disputes_labels.LOCAL, notifications.TZ, points.TZ}
print(sorted(str(z) for z in zones))
"""


def test_the_default_zone_is_the_bureaus() -> None:
    assert str(local_zone()) == "Asia/Shanghai"


def test_fq_timezone_moves_every_module_at_once() -> None:
    env = {**os.environ, "FQ_TIMEZONE": "Europe/Berlin"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['Europe/Berlin']"


def test_no_module_names_a_zone_of_its_own() -> None:
    named = re.compile(r"ZoneInfo\(\s*[\"']")
    offenders = [
        str(path.relative_to(REPO))
        for top in ("shared", "services", "workflows", "deploy", "bench")
        for path in Path(REPO, top).rglob("*.py")
        if named.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
