"""Gate criteria assessed from the use case's value, like KPI-bound ones:
"3-year ROI ≥ 0", "payback month ≤ 30", or at Gate 4 "adoption at or above
the pilot rate" (``adoption_vs_pilot ≥ 0``). While the review is open the
criterion is assessed from the figures (met when the rule holds, not met
otherwise, the figures as its evidence) and refuses hand assessments
(``value.extensions.value_bound_assessment_refusal``).

The figures change with costs, benefits, the pilot and the waves: whatever
changes them calls ``value_rules_reassess`` in its transaction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.validators import clean_reason
from gates import rules as gate_rules
from gates import services as gate_services
from gates.models import AssessmentStatus, ReviewCriterion, ReviewStatus
from usecases.models import UseCase
from value import rollout_rules
from value.models import ValueMetric, ValueOperator, ValueRule
from value.selectors_rollout import figures_for, rule_evidence

MAX_THRESHOLD = Decimal("1e13")


def _lock(use_case: UseCase, by: Any) -> UseCase:
    locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
    refusal = rollout_rules.value_rule_refusal(by, locked)
    if refusal is not None:
        raise refusal
    return locked


def _ensure_review_open(review: Any, what: str) -> None:
    """Read under the use case's lock: the review may have been submitted since."""
    review.refresh_from_db(fields=["status"])
    if review.status != ReviewStatus.OPEN:
        raise TransitionRefused(
            gettext("%(what)s only while its review is open.") % {"what": what},
            [
                gettext("The review is %(status)s.")
                % {"status": review.get_status_display().lower()}
            ],
        )


def _threshold(raw: Any) -> Decimal:
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
    except (InvalidOperation, ValueError, AttributeError):
        value = None
    if isinstance(raw, bool) or raw is None or value is None or not value.is_finite():
        raise InvalidInput(gettext("The threshold must be a number."), field="threshold")
    if abs(value) >= MAX_THRESHOLD:
        raise InvalidInput(
            gettext("The threshold is too large: at most 9,999,999,999,999.99."), field="threshold"
        )
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(gettext("The threshold takes at most two decimals."), field="threshold")
    return value.quantize(Decimal("0.01"))


def _assessor(by: Any, rule: ValueRule, review: Any) -> Any:
    """Who the assessment is recorded as: whoever changed the figures when
    they may assess the review, else the program lead who bound the rule
    (a figure changed by someone outside the team still assesses it)."""
    if gate_rules.can_assess(by, review):
        return by
    return rule.created_by


def value_rule_evaluate(*, review_criterion: ReviewCriterion, by: Any) -> ReviewCriterion | None:
    """Assess a value-bound criterion from the current figures. Does nothing
    while the review is not open, or when the assessment would not change."""
    rule = (
        ValueRule.objects.select_related("review_criterion__review__use_case", "created_by")
        .filter(review_criterion=review_criterion)
        .first()
    )
    if rule is None:
        return None
    criterion = rule.review_criterion
    review = criterion.review
    if review.status != ReviewStatus.OPEN:
        return None
    # The evidence is kept with the assessment: written in the installation's
    # language whoever changed the figures.
    with translation.override(settings.LANGUAGE_CODE):
        figure = figures_for(review.use_case_id, {rule.metric})[rule.metric]
        evidence = rule_evidence(rule, figure)
    status = AssessmentStatus.MET if rule.holds_for(figure.value) else AssessmentStatus.NOT_MET
    if criterion.status == status and criterion.evidence == evidence:
        return criterion
    return gate_services.criterion_assess(
        review=review,
        criterion=criterion,
        by=_assessor(by, rule, review),
        status=status,
        evidence=evidence,
        by_hand=False,
    )


def value_rules_reassess(*, use_case: UseCase, by: Any) -> None:
    """Assess again every value-bound criterion of the use case's open
    reviews: called, in their transaction, by whatever changes the figures."""
    criteria = ReviewCriterion.objects.filter(
        review__use_case_id=use_case.pk,
        review__status=ReviewStatus.OPEN,
        value_rule__isnull=False,
    ).order_by("id")
    for criterion in criteria:
        value_rule_evaluate(review_criterion=criterion, by=by)


@transaction.atomic
def value_rule_bind(
    *, review_criterion: ReviewCriterion, by: Any, metric: str, operator: str, threshold: Any
) -> ValueRule:
    """Bind a criterion of an open review to a value rule (replacing any it
    had) and assess it at once from the current figures."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    if metric not in ValueMetric.values:
        raise InvalidInput(
            gettext("Must be one of: %(values)s.") % {"values": ", ".join(ValueMetric.values)},
            field="metric",
        )
    if operator not in ValueOperator.values:
        raise InvalidInput(
            gettext("Must be one of: %(values)s.") % {"values": ", ".join(ValueOperator.values)},
            field="operator",
        )
    value = _threshold(threshold)
    _ensure_review_open(review, gettext("A criterion is bound to the use case's value"))
    if ReviewCriterion.objects.filter(pk=review_criterion.pk, kpi_rule__isnull=False).exists():
        raise TransitionRefused(
            gettext("“%(name)s” is assessed from a KPI rule.") % {"name": review_criterion.name},
            [gettext("Unbind the KPI rule first: a criterion is assessed from one rule.")],
        )
    before = (
        ValueRule.objects.filter(review_criterion=review_criterion)
        .values("metric", "operator", "threshold")
        .first()
    )
    rule, _ = ValueRule.objects.update_or_create(
        review_criterion=review_criterion,
        defaults={"metric": metric, "operator": operator, "threshold": value, "created_by": by},
    )
    gate_services.touch(use_case, review)  # packs name the rule: earlier ones are stale
    audit_record(
        actor=by,
        action="value_rule.bound",
        summary=f"Criterion “{review_criterion.name}” assessed from {rule.label}",
        use_case=use_case,
        obj=rule,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": {"metric": metric, "operator": operator, "threshold": value},
        },
    )
    value_rule_evaluate(review_criterion=review_criterion, by=by)
    return rule


@transaction.atomic
def value_rule_unbind(*, review_criterion: ReviewCriterion, by: Any, reason: str) -> None:
    """Unbind a criterion of an open review from its value rule, saying why.
    It keeps its last assessment and is assessed by hand from then on."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    _ensure_review_open(review, gettext("A criterion is unbound from the use case's value"))
    reason = clean_reason(
        reason,
        required=gettext(
            "Say why the criterion is to be assessed by hand instead of from its rule."
        ),
    )
    rule = ValueRule.objects.filter(review_criterion=review_criterion).first()
    if rule is None:
        raise TransitionRefused(
            gettext("This criterion is not bound to the use case's value."),
            [gettext("“%(name)s” is assessed by hand.") % {"name": review_criterion.name}],
        )
    label = rule.label
    before = {"metric": rule.metric, "operator": rule.operator, "threshold": rule.threshold}
    rule.delete()
    gate_services.touch(use_case, review)
    audit_record(
        actor=by,
        action="value_rule.unbound",
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
