"""HTML forms of the disputes pages -> the workflow's input models (validation stays there)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.portal.areas import _disputes_backend as backend
from services.portal.deps import ServiceClients, User
from shared.contracts.disputes import DisputeIntake

PARTY_ROWS = 3
RISK_FLAGS = (
    "threats",
    "weapons",
    "self_harm_talk",
    "minors_involved",
    "elderly_involved",
    "disabled_involved",
)
SUPERVISOR_ACTIONS = {"reassign", "escalate", "cancel", "approve-closure", "reject-closure"}


class FormError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "reason": str(e["msg"])}
        for e in exc.errors()
    ]


def _int(values: dict[str, str], name: str) -> int | str | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    return int(raw) if raw.lstrip("-").isdigit() else raw  # a non-number fails validation


def _risk(values: dict[str, str], prefix: str = "") -> dict[str, Any]:
    risk: dict[str, Any] = {f: values.get(prefix + f) == "on" for f in RISK_FLAGS}
    for name in ("people_involved", "earlier_flare_ups"):
        v = _int(values, prefix + name)
        if v is not None:
            risk[name] = v
    return risk


def intake_from_form(values: dict[str, str], user: User) -> DisputeIntake:
    """Officer form (all intake fields) or resident form (the resident is reporter and party)."""
    data: dict[str, Any] = {
        "category": values.get("category", ""),
        "description": values.get("description", ""),
        "village_code": values.get("village_code", "").strip(),
        "risk": _risk(values),
    }
    households = [h.strip() for h in values.get("households", "").replace("，", ",").split(",")]
    data["households"] = [{"household_id": h, "name": h} for h in households if h]
    if user.role == "resident":
        parties: list[dict[str, Any]] = [
            {
                "name": user.display_name,
                "phone": user.phone or "",
                "role": "complainant",
                "user_id": user.user_id,
            }
        ]
        if values.get("other_name", "").strip():
            parties.append(
                {
                    "name": values["other_name"].strip(),
                    "phone": values.get("other_phone", "").strip(),
                    "role": "respondent",
                }
            )
        data.update(parties=parties, reporter_kind="resident", reporter_id=user.user_id)
    else:
        parties = []
        for i in range(PARTY_ROWS):
            name = values.get(f"party_{i}_name", "").strip()
            if not name:
                continue
            parties.append(
                {
                    "name": name,
                    "phone": values.get(f"party_{i}_phone", "").strip(),
                    "id_number": values.get(f"party_{i}_id_number", "").strip() or None,
                    "role": values.get(f"party_{i}_role", "other"),
                }
            )
        data.update(parties=parties, reporter_kind="officer", reporter_id=user.user_id)
    return DisputeIntake.model_validate(data)


async def check_village(clients: ServiceClients, user: User, village_code: str) -> None:
    """Officers and chiefs open cases only in the villages of their station."""
    if user.role not in ("officer", "station_chief"):
        return
    codes = {v.code for v in await backend.villages(clients, user, user.station_code)}
    if codes and village_code not in codes:
        raise FormError("village_code", "not a village of your station")


def _lines(values: dict[str, str], name: str) -> list[str]:
    raw = values.get(name, "").replace("，", ",")
    return [x.strip() for x in raw.split(",") if x.strip()]


def payload_from_form(action: str, values: dict[str, str]) -> dict[str, Any]:
    """The action's payload from its form's fields (flat names; checkboxes are 'on')."""
    keep = {
        "accept": ("note",),
        "decline": ("reason",),
        "follow-up": ("done", "outcome"),
        "regrade": ("colour", "reason"),
        "link-partner": ("partner", "request"),
        "partner-reply": ("request_id", "answer"),
        "propose-closure": ("settlement_kind", "summary"),
        "approve-closure": ("note",),
        "reject-closure": ("reason",),
        "return-visit": ("note",),
        "reassign": ("officer_id", "reason"),
        "escalate": ("reason",),
        "cancel": ("reason",),
    }[action]
    payload: dict[str, Any] = {k: values.get(k, "") for k in keep}
    if action == "follow-up":
        payload["helper_ids"] = _lines(values, "helper_ids")
        if values.get("rescreen") == "on":
            payload["risk"] = _risk(values, "risk_")
    elif action == "link-partner":
        # "kind@code": an organisation of the directory (it answers itself); "kind": typed in
        kind, _, code = payload["partner"].partition("@")
        payload["partner"] = kind
        if code:
            payload["partner_code"] = code
        hours = _int(values, "deadline_hours")
        if hours is not None:
            payload["deadline_hours"] = hours
    elif action == "return-visit":
        holds = values.get("holds", "")
        payload["holds"] = {"yes": True, "no": False}.get(holds, holds)
        if values.get("rescreen") == "on":
            payload["risk"] = _risk(values, "risk_")
    return payload
