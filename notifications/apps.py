from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from core.events import subscribe
        from notifications.handlers import on_event

        # subscribe() ignores a listener it already has: ready() may run twice.
        subscribe(on_event)
