"""What readiness asks of the gate engine: the production readiness checklist
as a condition of Go at Gate 3, and KPI-bound criteria assessed only from
measurements. Both are registered in ``ReadinessConfig.ready``."""

from __future__ import annotations

from django.conf import settings

from core.errors import DomainError, TransitionRefused
from gates.models import GateReview, ReviewCriterion
from readiness.models import KpiRule
from readiness.services import checklist_open_items

CHECKLIST_GATE = 3


def production_readiness_blockers(review: GateReview) -> list[str]:
    """Why Go cannot be recorded at Gate 3 while the checklist has open items.
    Read at call time, so READINESS_GATE3_CHECKLIST_REQUIRED can be switched
    off (for example in a test's ``settings``) without a restart."""
    if review.gate_number != CHECKLIST_GATE:
        return []
    if not settings.READINESS_GATE3_CHECKLIST_REQUIRED:
        return []
    open_items = checklist_open_items(review.use_case_id)
    if open_items is None:
        return ["Production readiness checklist not started"]
    return [f"Production readiness item open: {text}" for text in open_items]


def kpi_bound_assessment_refusal(criterion: ReviewCriterion) -> DomainError | None:
    """Registered with the gate engine: a criterion bound to a KPI rule is
    assessed only from measurements; by hand only once the rule is unbound."""
    rule = KpiRule.objects.select_related("kpi").filter(review_criterion=criterion).first()
    if rule is None:
        return None
    return TransitionRefused(
        f"“{criterion.name}” is assessed from the KPI rule “{rule.label}”.",
        [
            "Record a measurement of the KPI, or unbind the rule (with a reason) "
            "to assess the criterion by hand."
        ],
    )
