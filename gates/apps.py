from __future__ import annotations

from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "gates"

    def ready(self) -> None:
        from gates.rules import named_approver_grant
        from gates.selectors import open_reviews_prefetch
        from usecases.access import register_visibility_grant
        from usecases.selectors import register_api_prefetch

        # Each registry ignores what it already has: ready() may run twice.
        # A named approver of any of its gate reviews (the CIO, risk and
        # compliance) must read what they are asked to approve.
        register_visibility_grant(named_approver_grant)
        register_api_prefetch(open_reviews_prefetch)
