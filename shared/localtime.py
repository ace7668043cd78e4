"""The bureau's one local zone (FQ_TIMEZONE, Asia/Shanghai): what "a day" means for opening
hours, the patrol cap and quiet hours, and the zone of every time shown to people."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from shared.config import CommonSettings


@cache
def local_zone() -> ZoneInfo:
    return ZoneInfo(CommonSettings().timezone)
