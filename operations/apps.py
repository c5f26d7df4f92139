from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from operations import selectors, services, tasks  # noqa: F401 -- registers the task
        from readiness.services import register_measurement_hook
        from usecases.selectors import register_portfolio_annotation

        # Each registry ignores what it already has: ready() may run twice.
        register_measurement_hook(services.measurement_drift_check)
        register_portfolio_annotation(selectors.annotate_recertification_due)
