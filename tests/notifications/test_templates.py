"""Every routed event renders for every audience, channel and language, without leaking PII."""

from __future__ import annotations

import re
import typing

import pytest

from services.notifications.render import SMS_MAX, Renderer, event_context
from services.notifications.routing import RESIDENT_AUDIENCES, load_rules
from shared.config import NotificationsSettings
from shared.messaging.events import Event, registered
from tests.notifications.people import OTHER_ID, OTHER_PARTY, OTHER_PHONE, SUMMARY

RULES = load_rules(NotificationsSettings().routing_file)
RENDERER = Renderer()
CONSUMED = ("dispute.", "appointment.", "application.", "home_visit.", "points.", "account.")
CJK = re.compile(r"[\u4e00-\u9fff]")
ISO = "2026-12-01T01:30:00+00:00"
SAMPLES: dict[str, object] = {
    "case_no": "GY-2026-0042",
    "colour": "red",
    "booking_code": "BK-7Q2M",
    "application_id": "AP-1001",
    "visit_id": "HV-2001",
    "service_code": "hukou-transfer",
    "office_code": "SYZ01",
    "village_code": "VYZ0101",
    "station_code": "SYZ01",
    "status": "approved",
    "item_name": "soap",
    "amount": 20,
    "balance": 140,
    "holds": False,
    "ready": False,
    "missing": ["household register"],
    "resident_ids": ["res-1"],
    "helper_ids": ["res-9"],
    "code": "604213",
    "phone": "13900000009",
    "language": "zh-CN",
    "temporary_password": "k7m2p9x4qe",
}


def sample(cls: type[Event]) -> Event:
    values: dict[str, object] = {}
    hints = typing.get_type_hints(cls)
    for name, field in cls.model_fields.items():
        if name in ("event_id", "occurred_at"):
            continue
        if name in SAMPLES:
            values[name] = SAMPLES[name]
        elif name.endswith("_at") or name == "deadline":
            values[name] = ISO
        elif name.endswith("_id"):
            values[name] = f"{name}-1"
        elif hints[name] is bool:
            values[name] = True
        elif "list" in str(hints[name]):
            values[name] = [SUMMARY]
        elif "str" in str(hints[name]):
            # free text (summary, reason, settlement, note...) names the other party
            values[name] = SUMMARY
        elif not field.is_required():
            continue
        else:
            values[name] = 1
    return cls.model_validate(values)


CASES = [
    (key, target.who, channel)
    for key, rule in RULES.events.items()
    for target in rule.to
    for channel in target.channels
]


def test_every_consumed_event_has_a_rule_and_templates() -> None:
    keys = {key for key, _ in registered() if key.startswith(CONSUMED)}
    assert keys - set(RULES.events) - set(RULES.ignored) == set()
    assert [k for k in RULES.events if not RENDERER.has_template(k)] == []


@pytest.mark.parametrize(("key", "audience", "channel"), CASES)
def test_renders_in_both_languages_without_pii(key: str, audience: str, channel: str) -> None:
    [cls] = [c for (k, _), c in registered().items() if k == key]
    context = event_context(sample(cls), audience)
    zh = RENDERER.render(key, "zh-CN", channel, context)
    en = RENDERER.render(key, "en", channel, context)

    for out in (zh, en):
        text = out.subject + "\n" + out.body
        assert out.subject and out.body
        assert "None" not in text
        assert OTHER_PHONE not in text and OTHER_ID not in text
        if audience in RESIDENT_AUDIENCES:
            assert OTHER_PARTY not in text, f"{key} to {audience} leaks the other party"
        if channel == "sms":
            assert len(out.body) <= SMS_MAX
    assert CJK.search(zh.subject), zh.subject
    assert zh.body != en.body


def test_staff_see_the_case_summary_masked() -> None:
    [cls] = [c for (k, _), c in registered().items() if k == "dispute.escalated"]
    out = RENDERER.render(
        "dispute.escalated", "zh-CN", "inbox", event_context(sample(cls), "station_chief")
    )
    assert (
        OTHER_PARTY in out.body and "139****5678" in out.body and "642***********1234" in out.body
    )


def test_digest_lists_every_subject() -> None:
    out = RENDERER.render_digest("en", [("Case A assigned", "x"), ("Case B assigned", "y")])
    assert out.subject == "2 new notifications"
    assert "- Case A assigned" in out.body and "- Case B assigned" in out.body
