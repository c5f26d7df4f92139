from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Audit trail and events"

    def ready(self) -> None:
        from core import events, tasks

        # After a commit that wrote events, a worker delivers them (eagerly,
        # in-process, when there is no broker).
        events.set_delivery_kick(tasks.deliver_outbox.delay)
