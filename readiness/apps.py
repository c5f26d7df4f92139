from __future__ import annotations

from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "readiness"
    verbose_name = "Readiness"

    def ready(self) -> None:
        from gates.read_model import register_criterion_extension
        from gates.serializers import register_criterion_field
        from gates.services import (
            register_assessment_guard,
            register_decision_check,
            register_go_check,
        )
        from readiness import checks, extensions
        from readiness.selectors import annotate_overdue_stalled, annotate_priority_score
        from usecases.selectors import register_portfolio_annotation

        # Each registry ignores what it already has: ready() may run twice.
        register_go_check(checks.production_readiness_blockers)
        register_decision_check(checks.scorecard_band_blockers)
        register_assessment_guard(checks.kpi_bound_assessment_refusal)
        register_criterion_extension(extensions.attach_to_criteria, relations=["kpi_rule__kpi"])
        register_criterion_field("scorecards", extensions.scorecards_field)
        register_criterion_field("kpi_rule", extensions.kpi_rule_field)
        register_portfolio_annotation(annotate_priority_score)
        register_portfolio_annotation(annotate_overdue_stalled)
