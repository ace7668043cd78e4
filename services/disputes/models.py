"""Tables of the disputes service (defined in workflows/disputes/tables.py, see there)."""

from workflows.disputes.rule_versions import CaseRulesVersion, ScreeningRulesVersion
from workflows.disputes.tables import (
    TS,
    AuditEntry,
    Base,
    Case,
    CaseHousehold,
    CaseNumber,
    ColourChangeRow,
    Officer,
    Party,
    PoliceRoom,
    RoomOfficer,
    Station,
    Task,
    TimelineEntry,
    Village,
    inbox,
    outbox,
)

__all__ = [
    "TS",
    "AuditEntry",
    "Base",
    "Case",
    "CaseHousehold",
    "CaseNumber",
    "CaseRulesVersion",
    "ColourChangeRow",
    "Officer",
    "Party",
    "PoliceRoom",
    "RoomOfficer",
    "ScreeningRulesVersion",
    "Station",
    "Task",
    "TimelineEntry",
    "Village",
    "inbox",
    "outbox",
]
