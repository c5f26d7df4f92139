from __future__ import annotations

from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "readiness"
    verbose_name = "Readiness"

    def ready(self) -> None:
        from gates.services import GO_CHECKS, register_go_check
        from readiness import checks

        # ready() can run twice (tests, autoreload): register the check once.
        if checks.production_readiness_blockers not in GO_CHECKS:
            register_go_check(checks.production_readiness_blockers)
