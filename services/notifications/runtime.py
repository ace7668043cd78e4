"""The notifications process: the shared service runtime plus rules, templates and the worker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.notifications.delivery import AppriseSender, DeliveryWorker, Sender
from services.notifications.render import Renderer
from services.notifications.routing import RoutingRules, load_rules
from shared.config import NotificationsSettings
from shared.runtime import ServiceRuntime

SERVICE = "notifications"


@dataclass
class NotificationsRuntime(ServiceRuntime):
    sender: Sender | None = None
    run_worker: bool = True
    rules: RoutingRules = field(init=False)
    renderer: Renderer = field(init=False)
    worker: DeliveryWorker = field(init=False)

    def __post_init__(self) -> None:
        self.rules = load_rules(self.config.routing_file)
        self.renderer = Renderer()
        missing = [k for k in self.rules.events if not self.renderer.has_template(k)]
        if missing:
            raise ValueError(f"routing rules without templates: {missing}")

    @property
    def config(self) -> NotificationsSettings:
        if not isinstance(self.settings, NotificationsSettings):
            raise TypeError("the notifications runtime needs NotificationsSettings")
        return self.settings

    async def start(self) -> None:
        await super().start()
        sender = self.sender or AppriseSender(self.config)
        self.worker = DeliveryWorker(self.factory, sender, self.renderer, self.config)
        if self.run_worker:
            self._tasks.append(asyncio.create_task(self.worker.run(), name="notifications-worker"))
