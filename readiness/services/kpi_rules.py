"""Gate criteria assessed from a KPI rule, and PoC scorecards cited as evidence."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.validators import clean_reason
from gates import services as gate_services
from gates.models import AssessmentStatus, ReviewCriterion, ReviewStatus
from readiness.models import (
    OPERATOR_SYMBOLS,
    Kpi,
    KpiMeasurement,
    KpiOperator,
    KpiRule,
    PocScorecard,
    format_value,
)
from readiness.services._base import _choice, _decimal_field, _lock

# --- KPI rules on gate criteria --------------------------------------------


def _ensure_review_open(review: Any, what: str) -> None:
    """Read under the use case's lock: the review may have been submitted since."""
    review.refresh_from_db(fields=["status"])
    if review.status != ReviewStatus.OPEN:
        raise TransitionRefused(
            _("%(what)s only while its review is open.") % {"what": what},
            [_("The review is %(status)s.") % {"status": review.get_status_display().lower()}],
        )


def kpi_rule_evidence(rule: KpiRule, measurement: KpiMeasurement) -> str:
    kpi = rule.kpi
    return (
        f"{kpi.name} {format_value(measurement.value, kpi.unit)} on "
        f"{measurement.measured_at.isoformat()} (rule: {OPERATOR_SYMBOLS[rule.operator]} "
        f"{format_value(rule.threshold, kpi.unit)})"
    )


def latest_measurement(kpi: Kpi) -> KpiMeasurement | None:
    return kpi.measurements.order_by("-measured_at", "-id").first()


def kpi_rule_evaluate(*, review_criterion: ReviewCriterion, by: Any) -> ReviewCriterion | None:
    """Assess a KPI-bound criterion from the KPI's latest measurement, as
    ``by``. Does nothing while the review is not open, when the KPI has no
    measurement yet, or when the assessment would not change."""
    try:
        rule = KpiRule.objects.select_related("kpi", "review_criterion__review").get(
            review_criterion=review_criterion
        )
    except KpiRule.DoesNotExist:
        return None
    criterion = rule.review_criterion
    if criterion.review.status != ReviewStatus.OPEN:
        return None
    measurement = latest_measurement(rule.kpi)
    if measurement is None:
        return None
    status = AssessmentStatus.MET if rule.holds_for(measurement.value) else AssessmentStatus.NOT_MET
    evidence = kpi_rule_evidence(rule, measurement)
    if criterion.status == status and criterion.evidence == evidence:
        return criterion
    return gate_services.criterion_assess(
        review=criterion.review,
        criterion=criterion,
        by=by,
        status=status,
        evidence=evidence,
        by_hand=False,
    )


@transaction.atomic
def kpi_rule_bind(
    *, review_criterion: ReviewCriterion, kpi: Kpi, by: Any, operator: str, threshold: Any
) -> KpiRule:
    """Bind a criterion of an open review to a KPI rule (replacing any rule it
    had) and assess it at once from the latest measurement."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    if kpi.use_case_id != use_case.pk:
        raise InvalidInput(_("The KPI must belong to the review's use case."), field="kpi")
    operator = _choice(operator, KpiOperator, "operator")
    value = _decimal_field(threshold, "threshold", "threshold")
    _ensure_review_open(review, "A criterion is bound to a KPI")
    before = (
        KpiRule.objects.filter(review_criterion=review_criterion)
        .values("kpi_id", "operator", "threshold")
        .first()
    )
    rule, _created = KpiRule.objects.update_or_create(
        review_criterion=review_criterion,
        defaults={"kpi": kpi, "operator": operator, "threshold": value, "created_by": by},
    )
    gate_services.touch(use_case, review)  # packs name the rule: earlier ones are stale
    audit_record(
        actor=by,
        action="kpi_rule.bound",
        summary=f"Criterion “{review_criterion.name}” assessed from {kpi.name} "
        f"{OPERATOR_SYMBOLS[operator]} {format_value(value, kpi.unit)}",
        use_case=use_case,
        obj=rule,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": {"kpi_id": kpi.pk, "operator": operator, "threshold": value},
        },
    )
    kpi_rule_evaluate(review_criterion=review_criterion, by=by)
    return rule


@transaction.atomic
def kpi_rule_unbind(*, review_criterion: ReviewCriterion, by: Any, reason: str) -> None:
    """Unbind a criterion of an open review from its KPI rule, saying why.
    The criterion keeps its last assessment; from now on it is assessed by
    hand (while bound, hand assessments are refused)."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    _ensure_review_open(review, "A criterion is unbound from a KPI")
    reason = clean_reason(
        reason, required="Say why the criterion is to be assessed by hand instead of from its KPI."
    )
    rule = KpiRule.objects.select_related("kpi").filter(review_criterion=review_criterion).first()
    if rule is None:
        raise TransitionRefused(
            _("This criterion is not bound to a KPI."),
            [_("“%(name)s” is assessed by hand.") % {"name": review_criterion.name}],
        )
    label = rule.label
    before = {"kpi_id": rule.kpi_id, "operator": rule.operator, "threshold": rule.threshold}
    rule.delete()
    gate_services.touch(use_case, review)  # packs name the rule: earlier ones are stale
    audit_record(
        actor=by,
        action="kpi_rule.unbound",
        summary=f"Criterion “{review_criterion.name}” no longer assessed from {label}: "
        f"{reason[:200]}",
        use_case=use_case,
        obj=review_criterion,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": None,
            "reason": reason,
        },
    )


@transaction.atomic
def criterion_scorecard_cite(
    *, review_criterion: ReviewCriterion, by: Any, scorecard: PocScorecard | None
) -> None:
    """Cite a version of the use case's PoC scorecard as evidence for a
    criterion of an open review, or with ``None`` cite none."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    _ensure_review_open(review, "A criterion cites the PoC scorecard")
    if scorecard is not None and scorecard.use_case_id != use_case.pk:
        raise InvalidInput(_("Cite a scorecard of this use case."), field="scorecard")
    before = sorted(review_criterion.scorecards.values_list("version", flat=True))
    after = [scorecard.version] if scorecard is not None else []
    if before == after:
        return
    review_criterion.scorecards.set([scorecard] if scorecard is not None else [])
    gate_services.touch(use_case, review)  # the evidence changed: earlier packs are stale
    audit_record(
        actor=by,
        action="criterion.scorecard_cited",
        summary=(
            f"Criterion “{review_criterion.name}” cites {scorecard.label}"
            if scorecard is not None
            else f"Criterion “{review_criterion.name}” no longer cites the PoC scorecard"
        ),
        use_case=use_case,
        obj=review_criterion,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": after,
        },
    )
