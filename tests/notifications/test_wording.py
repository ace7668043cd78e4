"""The workflow's notes inside messages, in the reader's language; what an officer typed is
left as it came."""

from __future__ import annotations

from datetime import datetime

from services.notifications.wording import word_note


def _when(at: datetime) -> str:
    return at.strftime("%m-%d %H:%M")


def test_workflow_notes_are_worded_and_typed_text_is_not() -> None:
    assert word_note("marriage_family", "zh_CN", _when) == "婚恋家庭纠纷"
    assert word_note("labour", "en", _when) == "Labour dispute"
    assert word_note("intake screening (2 earlier household cases)", "zh_CN", _when) == (
        "受理研判（该户此前 2 起案件）"
    )
    assert word_note("follow_up overdue since 2026-11-21T08:41:00+00:00", "zh_CN", _when) == (
        "跟进走访已逾期（应于 11-21 08:41 前完成）"
    )
    assert word_note("follow_up overdue since 2026-11-21T08:41:00+00:00", "en", _when) == (
        "Follow-up overdue since 11-21 08:41"
    )
    assert word_note("re-screened on relapse", "zh_CN", _when) == "矛盾反复，重新研判"
    typed = "双方同意 follow up 后再谈"
    assert word_note(typed, "zh_CN", _when) == typed
