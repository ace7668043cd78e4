"""Versioned event contracts: the only thing services share.

An event class names its routing key (`dispute.assigned`) and its schema version. On the wire
an event is the JSON of its fields; the AMQP message id is `event_id`, the AMQP type is the
routing key and the `x-version` header carries the version. Consumers look the class up by
(routing key, version) and refuse what they cannot parse (dead-lettered, never guessed at).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field


def new_event_id() -> str:
    return str(uuid.uuid4())


def deterministic_event_id(*parts: object) -> str:
    """Same inputs, same id: lets a retried producer (a Temporal activity) dedupe at consumers."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "fengqiao:" + ":".join(str(p) for p in parts)))


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    routing_key: ClassVar[str] = ""
    version: ClassVar[int] = 1

    event_id: str = Field(default_factory=new_event_id)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def body(self) -> bytes:
        return self.model_dump_json().encode()


E = TypeVar("E", bound=type[Event])

_REGISTRY: dict[tuple[str, int], type[Event]] = {}


def register(cls: E) -> E:
    key = (cls.routing_key, cls.version)
    if not cls.routing_key:
        raise ValueError(f"{cls.__name__} has no routing_key")
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"two event classes for {key}")
    _REGISTRY[key] = cls
    return cls


class UnknownEvent(Exception):
    pass


def event_class(routing_key: str, version: int) -> type[Event]:
    _load_contracts()
    try:
        return _REGISTRY[(routing_key, version)]
    except KeyError:
        raise UnknownEvent(f"no contract for {routing_key} v{version}") from None


def parse_event(routing_key: str, version: int, body: bytes | str | dict[str, Any]) -> Event:
    cls = event_class(routing_key, version)
    if isinstance(body, dict):
        return cls.model_validate(body)
    return cls.model_validate_json(body)


def registered() -> dict[tuple[str, int], type[Event]]:
    _load_contracts()
    return dict(_REGISTRY)


def _load_contracts() -> None:
    from shared.messaging import contracts  # noqa: F401  (registers every contract module)
