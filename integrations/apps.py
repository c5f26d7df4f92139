from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core.events import subscribe
        from integrations.handlers import on_event

        # subscribe() ignores a listener it already has: ready() may run twice.
        subscribe(on_event)
