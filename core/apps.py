from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Audit trail and events")

    def ready(self) -> None:
        from django.urls import register_converter

        from core import checks, events, tasks  # noqa: F401 (checks registers itself)
        from core.converters import IdConverter

        # Every URL names its rows with <id:...> (core/converters.py).
        register_converter(IdConverter, "id")

        # After a commit that wrote events, a worker delivers them (eagerly,
        # in-process, when there is no broker).
        events.set_delivery_kick(tasks.deliver_outbox.delay)
