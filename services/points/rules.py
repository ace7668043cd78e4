"""Earning rules, read from `rules.yaml` (FQ_POINTS_RULES_FILE)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.localtime import local_zone


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mediation_help: int = Field(10, ge=0)
    follow_up_help: int = Field(5, ge=0)
    screening_report: int = Field(5, ge=0)
    patrol_points_per_hour: int = Field(4, ge=0)
    patrol_daily_cap: int = Field(20, ge=0)
    tip_points: dict[str, int] = {"not_useful": 0, "useful": 20, "led_to_case": 50}
    redemption_code_minutes: int = Field(10, gt=0)
    redemption_hold_minutes: int = Field(60, gt=0)
    expiry_days: int = Field(0, ge=0)

    @property
    def tz(self) -> ZoneInfo:
        return local_zone()


def load_rules(path: Path) -> Rules:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Rules.model_validate(data)
