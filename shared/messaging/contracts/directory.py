"""The organisation directory (directory.*), owned by the disputes service and replicated to
whoever needs it: each village with its police room, community officer and station chief."""

from __future__ import annotations

from shared.messaging.events import Event, register


@register
class VillageListed(Event):
    """A village as the directory has it now (sent again whenever it changes; the last wins)."""

    routing_key = "directory.village_listed"
    village_code: str
    village_name: str
    station_code: str
    police_room_code: str
    officer_id: str | None = None  # the police room's community officer
    chief_id: str | None = None  # the station chief
