"""Tables owned by the disputes service."""

from __future__ import annotations

from shared.db import ServiceBase, make_metadata
from shared.messaging.outbox import inbox_table, outbox_table


class Base(ServiceBase):
    __abstract__ = True
    metadata = make_metadata()


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
