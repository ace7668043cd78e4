"""The organisation directory (directory.*), owned by the disputes service and replicated to
whoever needs it: stations, police rooms with the officers posted there, each village with its
police room, community officer and station chief. Every listing is the whole record as the
directory has it now; it is sent again whenever it changes and the newest (`occurred_at`) wins,
so a consumer keeps one row per code and ignores a listing older than the one it holds."""

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
    officer_id: str | None = None  # the police room's first active community officer
    chief_id: str | None = None  # the station chief
    active: bool = True  # false once closed: no new cases, bookings or visits for it


@register
class StationListed(Event):
    """A police station (派出所) and its chief."""

    routing_key = "directory.station_listed"
    station_code: str
    name: str
    township: str
    county_code: str
    chief_id: str


@register
class PoliceRoomListed(Event):
    """A police room (警务室), the village it sits in, and the active officers posted there in
    the order assignment tries them."""

    routing_key = "directory.police_room_listed"
    police_room_code: str
    name: str
    station_code: str
    village_code: str
    officer_ids: list[str] = []
    active: bool = True  # false once closed


@register
class OfficerPosted(Event):
    """A community officer's posting: their station, the police rooms they serve, and whether
    they take new cases (`active`: false once the account is deactivated or leaves the role)."""

    routing_key = "directory.officer_posted"
    officer_id: str
    name: str
    station_code: str
    police_room_codes: list[str] = []
    active: bool = True
