"""Events of the six-ways desk (appointment.*, application.*, home_visit.*).

The appointments service may add fields (with defaults) and new classes here.
"""

from __future__ import annotations

from shared.messaging.events import Event, register


class BookingEvent(Event):
    booking_code: str
    resident_id: str
    service_code: str
    office_code: str
    way: str
    starts_at: str


@register
class AppointmentBooked(BookingEvent):
    routing_key = "appointment.booked"


@register
class AppointmentCancelled(BookingEvent):
    routing_key = "appointment.cancelled"
    reason: str = ""


@register
class AppointmentRescheduled(BookingEvent):
    routing_key = "appointment.rescheduled"
    previous_starts_at: str


@register
class AppointmentReminderDue(BookingEvent):
    routing_key = "appointment.reminder_due"


@register
class AppointmentCheckedIn(BookingEvent):
    routing_key = "appointment.checked_in"


@register
class AppointmentNoShow(BookingEvent):
    routing_key = "appointment.no_show"


@register
class AppointmentPrechecked(BookingEvent):
    """One-visit pre-check: `ready` when the checklist passed, else `missing` goes back."""

    routing_key = "appointment.prechecked"
    ready: bool
    missing: list[str] = []


@register
class AppointmentAffected(BookingEvent):
    """A desk change (see `cause`) left the booking without its place; it is not cancelled:
    the staff will move it, or the resident may move or cancel it. `cause` "restored": the
    change was undone and the booking stands as it was."""

    routing_key = "appointment.affected"
    cause: str  # closure | hours | seats | service | way | restored
    day_closed_for: str = ""  # the closure's stated reason (a holiday's name), if a closure


class ApplicationEvent(Event):
    application_id: str
    resident_id: str
    service_code: str
    status: str
    due_at: str | None = None
    note: str = ""
    officer_id: str | None = None  # the officer the application is with


@register
class ApplicationSubmitted(ApplicationEvent):
    routing_key = "application.submitted"


@register
class ApplicationUpdated(ApplicationEvent):
    routing_key = "application.updated"


class HomeVisitEvent(Event):
    visit_id: str
    resident_id: str
    service_code: str
    village_code: str
    officer_id: str | None = None
    scheduled_at: str | None = None
    status: str


@register
class HomeVisitRequested(HomeVisitEvent):
    routing_key = "home_visit.requested"


@register
class HomeVisitScheduled(HomeVisitEvent):
    routing_key = "home_visit.scheduled"


@register
class HomeVisitDone(HomeVisitEvent):
    routing_key = "home_visit.done"


@register
class HomeVisitEscalated(HomeVisitEvent):
    routing_key = "home_visit.escalated"
    reason: str = ""


@register
class HomeVisitAssigned(HomeVisitEvent):
    routing_key = "home_visit.assigned"


@register
class HomeVisitRescheduled(HomeVisitEvent):
    routing_key = "home_visit.rescheduled"
    reason: str = ""


@register
class HomeVisitCancelled(HomeVisitEvent):
    routing_key = "home_visit.cancelled"
    reason: str = ""
