"""What readiness adds to the gate engine's reads, registered in
``ReadinessConfig.ready``: the gate engine imports nothing from here.

- On every read of a review's criteria (the review page, the review endpoint,
  the gate pack): ``kpi_rule`` (the rule a criterion is assessed from, or
  None) and ``cited`` (the PoC scorecard versions it cites, newest first).
  The rule and its KPI come joined to the criteria rows (registered as
  ``relations``); the scorecards are one query whatever the number of
  criteria.
- On the review endpoint's criterion: the fields that show them.
"""

from __future__ import annotations

from django.db.models import Prefetch, prefetch_related_objects
from rest_framework import serializers

from gates.models import ReviewCriterion
from readiness.models import PocScorecard
from readiness.serializers import CitedScorecardSerializer, KpiRuleRefField


def attach_to_criteria(criteria: list[ReviewCriterion]) -> None:
    # The KPI rule comes joined to the rows (the ``relations`` registered in
    # ReadinessConfig.ready); the cited scorecards are one query.
    prefetch_related_objects(
        criteria,
        Prefetch("scorecards", queryset=PocScorecard.objects.order_by("-version"), to_attr="cited"),
    )


def kpi_rule_field() -> serializers.Field:
    return KpiRuleRefField()


def scorecards_field() -> serializers.Field:
    return CitedScorecardSerializer(
        source="cited",
        many=True,
        read_only=True,
        help_text="PoC scorecard versions cited as evidence.",
    )


__all__ = ["attach_to_criteria", "kpi_rule_field", "scorecards_field"]
