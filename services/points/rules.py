"""Earning rules: the installation's file (`rules.yaml`, FQ_POINTS_RULES_FILE) is version 0;
an administrator's saved versions (services/points/rule_versions.py) replace its earning
amounts, the redemption hold and the expiry period for what is awarded, held or earned after
they are saved. The one-time code's lifetime stays in the file."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.localtime import local_zone

# The amounts a saved version sets (shared/contracts/points_rules.py EarningRules).
EARNING = (
    "mediation_help",
    "follow_up_help",
    "screening_report",
    "patrol_points_per_hour",
    "patrol_daily_cap",
    "tip_points",
)
# Versioned with the amounts (shared/contracts/points_rules.py EarningRules), not amounts.
SETTINGS = ("redemption_hold_minutes", "expiry_days")
VERSIONED = (*EARNING, *SETTINGS)


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
    # which stored version the earning amounts come from (0: the file); kept on each award
    version: int = Field(0, ge=0)

    @property
    def tz(self) -> ZoneInfo:
        return local_zone()

    def earning(self) -> dict[str, object]:
        return self.model_dump(include=set(VERSIONED))


def load_rules(path: Path) -> Rules:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Rules.model_validate({**data, "version": 0})  # the file is version 0, always
