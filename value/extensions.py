"""What value adds to the gate engine, registered in ``ValueConfig.ready``
(the gate engine imports nothing from here):

- on every read of a review's criteria (the review page, the review endpoint,
  the gate pack): ``value_rule`` (the rule a criterion is assessed from, or
  None), joined to the criteria rows (registered as ``relations``), with the
  current ``figure`` on each rule: only when a criterion is bound, one query
  for its review's use case and the figures' own (three for ROI, NPV and
  payback, two for adoption);
- on the review endpoint's criterion: the field that shows them;
- the assessment guard: a value-bound criterion is not assessed by hand.
"""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import serializers

from core.errors import DomainError, TransitionRefused
from gates.models import GateReview, ReviewCriterion
from value.models import ValueRule
from value.selectors_rollout import figures_for


def attach_to_criteria(criteria: list[ReviewCriterion]) -> None:
    # The rule comes joined to the rows (the ``relations`` registered in
    # ValueConfig.ready).
    bound = [(c, rule) for c in criteria if (rule := _rule_of(c)) is not None]
    if not bound:
        return
    use_case_of = dict(
        GateReview.objects.filter(pk__in={c.review_id for c, _ in bound}).values_list(
            "pk", "use_case_id"
        )
    )
    metrics: dict[int, set[str]] = {}
    for criterion, rule in bound:
        metrics.setdefault(use_case_of[criterion.review_id], set()).add(rule.metric)
    figures = {
        use_case_id: figures_for(use_case_id, names) for use_case_id, names in metrics.items()
    }
    for criterion, rule in bound:
        rule.figure = figures[use_case_of[criterion.review_id]][rule.metric]


def _rule_of(criterion: ReviewCriterion) -> ValueRule | None:
    try:
        return criterion.value_rule
    except ValueRule.DoesNotExist:
        return None


def value_rule_field() -> serializers.Field:
    from value.serializers_rollout import ValueRuleRefSerializer

    return ValueRuleRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The value rule the criterion is assessed from (3-year ROI, NPV, payback "
        "month, adoption against the pilot), with the current figure; null when assessed "
        "by hand or from a KPI.",
    )


def value_bound_assessment_refusal(criterion: ReviewCriterion) -> DomainError | None:
    """Registered with the gate engine: a criterion bound to a value rule is
    assessed only from the figures; by hand only once the rule is unbound."""
    rule = ValueRule.objects.filter(review_criterion=criterion).first()
    if rule is None:
        return None
    return TransitionRefused(
        gettext("“%(name)s” is assessed from the value rule “%(rule)s”.")
        % {"name": criterion.name, "rule": rule.label},
        [
            gettext(
                "Change the figures (costs, benefits, the pilot, the waves), or unbind the rule "
                "(with a reason) to assess the criterion by hand."
            )
        ],
    )


__all__ = ["attach_to_criteria", "value_bound_assessment_refusal", "value_rule_field"]
