"""What readiness adds to the gate engine's reads, registered in
``ReadinessConfig.ready``: the gate engine imports nothing from here.

- On every read of a review's criteria (the review page, the review endpoint,
  the gate pack): ``kpi_rule`` (the rule a criterion is assessed from, or
  None) and ``cited`` (the PoC scorecard versions it cites, newest first), in
  two queries whatever the number of criteria.
- On the review endpoint's criterion: the fields that show them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gates.models import ReviewCriterion
from readiness.models import KpiRule, PocScorecard


def attach_to_criteria(criteria: list[ReviewCriterion]) -> None:
    prefetch_related_objects(
        criteria,
        Prefetch("kpi_rule", queryset=KpiRule.objects.select_related("kpi")),
        Prefetch("scorecards", queryset=PocScorecard.objects.order_by("-version"), to_attr="cited"),
    )


@extend_schema_field({"type": "string", "nullable": True})
class KpiRuleLabelField(serializers.Field):
    """The KPI rule a criterion is assessed from, e.g. “Pilot adoption ≥ 60%”."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault(
            "help_text",
            "The KPI rule the criterion is assessed from, e.g. “Pilot adoption ≥ 60%”.",
        )
        super().__init__(**kwargs)

    def get_attribute(self, criterion: ReviewCriterion) -> Any:
        return getattr(criterion, "kpi_rule", None)

    def to_representation(self, rule: KpiRule | None) -> str | None:
        return rule.label if rule is not None else None


class CitedScorecardSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    total = serializers.IntegerField()
    band = serializers.CharField()


def kpi_rule_field() -> serializers.Field:
    return KpiRuleLabelField()


def scorecards_field() -> serializers.Field:
    return CitedScorecardSerializer(
        source="cited",
        many=True,
        read_only=True,
        help_text="PoC scorecard versions cited as evidence.",
    )


__all__ = ["attach_to_criteria", "kpi_rule_field", "scorecards_field"]
