from __future__ import annotations

from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "gates"

    def ready(self) -> None:
        from django.core import checks

        from gates.checks import check_applicability_rules
        from gates.rules import named_approver_grant, open_review_freeze, withdraw_block
        from gates.selectors import open_reviews_prefetch
        from usecases.access import register_visibility_grant
        from usecases.rules import register_freeze, register_withdraw_block
        from usecases.selectors import register_api_prefetch

        # Each registry ignores what it already has: ready() may run twice.
        # A named approver of any of its gate reviews (the CIO, risk and
        # compliance) must read what they are asked to approve.
        register_visibility_grant(named_approver_grant)
        register_api_prefetch(open_reviews_prefetch)
        # Who approves is fixed when a review opens: the facts that decide it
        # (risk, regulations, business unit, team) stay put until the decision.
        register_freeze(open_review_freeze)
        # Only a use case that has passed no gate and has no review under way
        # may be withdrawn.
        register_withdraw_block(withdraw_block)
        # The framework's data: applicability rules that could never hold.
        checks.register(check_applicability_rules, checks.Tags.database)
