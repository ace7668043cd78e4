"""Reminders, check-in, no-shows, one-visit pre-check, online applications, tasks, figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select

from services.appointments import applications, bookings, catalogue, runner, staff
from services.appointments.calendar import utc
from services.appointments.errors import Conflict, Invalid
from services.appointments.models import Reminder
from tests.appointments.conftest import (
    JIANGHE,
    NOW,
    STATION,
    DeskDb,
    book,
    events,
    local,
    sid,
    tx,
)

EVE = local(2026, 12, 7, 18).astimezone(UTC)  # the evening before TUESDAY_10
OFFICER = "off-0001"  # the community officer of 蒋河村 in the demo org


async def test_reminder_is_due_the_evening_before_and_cancelled_with_the_booking(
    desk: DeskDb,
) -> None:
    kept = await book(desk, "r1")
    dropped = await book(desk, "r2")
    async with desk.factory() as s:
        dues = (await s.scalars(select(Reminder.due_at))).all()
    assert {utc(d) for d in dues} == {EVE}
    await tx(desk, bookings.cancel, desk, dropped.code, actor_id="r2", resident_id="r2", now=NOW)
    assert (
        await runner.run_jobs(desk.factory, desk, EVE - timedelta(minutes=1))
    ).reminders_sent == 0
    # two job runners at once (two service processes): each reminder goes out once
    reports = await asyncio.gather(
        runner.run_jobs(desk.factory, desk, EVE), runner.run_jobs(desk.factory, desk, EVE)
    )
    assert sum(r.reminders_sent for r in reports) == 1
    sent = await events(desk, "appointment.reminder_due")
    assert [(e["booking_code"], e["resident_id"]) for e in sent] == [(kept.code, "r1")]
    assert (await runner.run_jobs(desk.factory, desk, EVE + timedelta(hours=1))).reminders_sent == 0


async def test_reschedule_moves_the_reminder(desk: DeskDb) -> None:
    b = await book(desk, "r1")
    await tx(
        desk,
        bookings.reschedule,
        desk,
        b.code,
        slot_id=sid(local(2026, 12, 10, 9)),
        actor_id="r1",
        now=NOW,
    )
    assert (await runner.run_jobs(desk.factory, desk, EVE)).reminders_sent == 0
    assert (
        await runner.run_jobs(desk.factory, desk, local(2026, 12, 9, 18).astimezone(UTC))
    ).reminders_sent == 1


async def test_check_in_at_the_window_and_no_show_after_the_slot(desk: DeskDb) -> None:
    came = await book(desk, "r1")
    missed = await book(desk, "r2")
    early = local(2026, 12, 8, 8, 30).astimezone(UTC)
    with pytest.raises(Conflict, match="check-in opens 60 minutes before the start"):
        await tx(
            desk, staff.check_in, desk, came.code, window_code="W1", actor_id="clerk", now=early
        )
    at = local(2026, 12, 8, 9, 50).astimezone(UTC)
    with pytest.raises(Invalid, match="no window W9"):
        await tx(desk, staff.check_in, desk, came.code, window_code="W9", actor_id="clerk", now=at)
    done = await tx(
        desk, staff.check_in, desk, came.code, window_code="W2", actor_id="clerk", now=at
    )
    assert (done.status, done.window_code) == ("checked_in", "W2")
    today = await tx(desk, staff.day_bookings, desk, office_code=STATION, day=date(2026, 12, 8))
    assert {(b.code, b.status) for b in today} == {
        (came.code, "checked_in"),
        (missed.code, "booked"),
    }
    assert (
        await runner.run_jobs(desk.factory, desk, local(2026, 12, 8, 10, 40).astimezone(UTC))
    ).no_shows == 0
    after = local(2026, 12, 8, 10, 46).astimezone(UTC)
    reports = await asyncio.gather(
        runner.run_jobs(desk.factory, desk, after), runner.run_jobs(desk.factory, desk, after)
    )
    assert sum(r.no_shows for r in reports) == 1
    assert [e["booking_code"] for e in await events(desk, "appointment.no_show")] == [missed.code]
    assert [e["booking_code"] for e in await events(desk, "appointment.checked_in")] == [came.code]
    with pytest.raises(Conflict, match="a no_show booking cannot be checked in"):
        await tx(
            desk, staff.check_in, desk, missed.code, window_code="W1", actor_id="clerk", now=after
        )


async def test_one_visit_is_ready_only_when_the_checklist_passes(desk: DeskDb) -> None:
    slot = sid(local(2026, 12, 8, 10), way="one_visit")
    b = await tx(
        desk,
        bookings.book,
        desk,
        resident_id="r1",
        service_code="hukou",
        slot_id=slot,
        documents=["居民户口簿", "居民身份证"],
        now=NOW,
    )
    assert b.status == "pending_check"
    queue = await tx(desk, staff.precheck_queue, office_code=STATION)
    assert [q.code for q in queue] == [b.code]
    with pytest.raises(Invalid, match="not on the checklist: 护照"):
        await tx(desk, staff.precheck, b.code, missing=["护照"], actor_id=OFFICER)
    back = await tx(desk, staff.precheck, b.code, missing=["准予迁入证明"], actor_id=OFFICER)
    assert (back.status, back.missing) == ("pending_check", ["准予迁入证明"])
    at = local(2026, 12, 8, 9, 50).astimezone(UTC)
    with pytest.raises(Conflict, match="not passed the pre-check"):
        await tx(desk, staff.check_in, desk, b.code, window_code="W1", actor_id="clerk", now=at)
    await tx(desk, staff.resubmit_documents, b.code, resident_id="r1", documents=["准予迁入证明"])
    ready = await tx(desk, staff.precheck, b.code, missing=[], actor_id=OFFICER)
    assert ready.status == "ready"
    checks = await events(desk, "appointment.prechecked")
    assert [(e["ready"], e["missing"]) for e in checks] == [
        (False, ["准予迁入证明"]),
        (True, []),
    ]
    assert (
        await tx(desk, staff.check_in, desk, b.code, window_code="W1", actor_id="c", now=at)
    ).status == ("checked_in")


async def test_online_application_becomes_an_officer_task_with_the_promised_deadline(
    desk: DeskDb,
) -> None:
    with pytest.raises(Invalid) as err:
        await tx(
            desk,
            applications.submit,
            resident_id="r1",
            village_code=JIANGHE,
            service_code="no_record",
            documents=["居民身份证"],
            now=NOW,
        )
    assert (err.value.field, err.value.reason) == ("documents", "missing documents: 用途说明")
    with pytest.raises(Invalid, match="cannot be applied for online"):
        await tx(
            desk,
            applications.submit,
            resident_id="r1",
            village_code=JIANGHE,
            service_code="id_card",
            documents=[],
            now=NOW,
        )
    a = await tx(
        desk,
        applications.submit,
        resident_id="r1",
        village_code=JIANGHE,
        service_code="no_record",
        documents=["居民身份证", "用途说明"],
        now=NOW,
    )
    assert (a.assignee_id, a.station_code, utc(a.due_at)) == (
        OFFICER,
        STATION,
        NOW + timedelta(days=3),
    )
    page = await tx(desk, applications.tasks, assignee=OFFICER, now=NOW)
    assert [(t.kind, t.ref_id, t.overdue) for t in page.items] == [("application", a.id, False)]
    later = await tx(desk, applications.tasks, station=STATION, now=NOW + timedelta(days=4))
    assert later.items[0].overdue and later.counts["overdue"] == 1
    assert (await tx(desk, applications.tasks, assignee="off-0999", now=NOW)).items == []
    with pytest.raises(Invalid, match="say why"):
        await tx(desk, applications.decide, a.id, decision="returned", note="", actor_id=OFFICER)
    done = await tx(
        desk,
        applications.decide,
        a.id,
        decision="approved",
        note="",
        actor_id=OFFICER,
        now=NOW + timedelta(days=2),
    )
    assert done.status == "approved"
    with pytest.raises(Conflict, match="already approved"):
        await tx(desk, applications.decide, a.id, decision="rejected", note="x", actor_id=OFFICER)
    assert (await tx(desk, applications.tasks, assignee=OFFICER, now=NOW)).items == []
    kinds = [e["status"] for e in await events(desk) if str(e["routing_key"]).startswith("appl")]
    assert kinds == ["submitted", "approved"]


async def test_figures_count_served_per_way_wait_and_compliance(desk: DeskDb) -> None:
    b = await book(desk, "r1")
    await tx(
        desk,
        staff.check_in,
        desk,
        b.code,
        window_code="W1",
        actor_id="c",
        now=local(2026, 12, 8, 10).astimezone(UTC),
    )
    for n, days in enumerate((2, 5)):  # promised 3 days: one on time, one late
        a = await tx(
            desk,
            applications.submit,
            resident_id=f"r{n}",
            village_code=JIANGHE,
            service_code="no_record",
            documents=["居民身份证", "用途说明"],
            now=NOW,
        )
        await tx(
            desk,
            applications.decide,
            a.id,
            decision="approved",
            note="",
            actor_id=OFFICER,
            now=NOW + timedelta(days=days),
        )
    fig = await tx(desk, applications.figures, desk)
    assert fig.served_per_month == {"2026-12": {"appointment": 1, "online": 2}}
    assert fig.served_total == 3
    assert fig.average_wait_days == round(25 / 24, 2)  # booked Mon 09:00 for Tue 10:00
    assert fig.promised_time_compliance == 0.5


async def test_kiosk_status_and_closures_are_staff_edits_with_audit(desk: DeskDb) -> None:
    (kiosk,) = await tx(desk, staff.kiosks, office_code=STATION)
    assert kiosk.in_service
    out = await tx(
        desk,
        staff.set_kiosk_status,
        kiosk.code,
        in_service=False,
        note="打印机缺纸",
        actor_id="admin-0001",
    )
    assert (out.in_service, out.note) == (False, "打印机缺纸")
    booked = await book(desk, "r1")
    # a closure over a booked day keeps the booking and lists it to move (refit.py)
    await tx(
        desk,
        staff.add_closure,
        desk,
        office_code=STATION,
        day=date(2026, 12, 8),
        reason="停电",
        actor_id="admin",
    )
    assert (await tx(desk, bookings.get_booking, booked.code)).status == "booked"
    await tx(
        desk,
        staff.add_closure,
        desk,
        office_code=STATION,
        day=date(2026, 12, 9),
        reason="停电检修",
        actor_id="admin",
    )
    with pytest.raises(Invalid, match="closed on 2026-12-09: 停电检修"):
        await tx(
            desk,
            catalogue.free_slots,
            desk,
            service_code="hukou",
            office_code=STATION,
            day=date(2026, 12, 9),
            now=NOW,
        )
