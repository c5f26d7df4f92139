"""The rollout and value-rule endpoints' input and output, typed for the
schema. Input serializers check shapes; the services check the rules and
answer in their own words."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gates.models import AssessmentStatus
from gates.serializers import UserRefSerializer
from readiness.serializers import EnumField
from value.models import ValueMetric, ValueOperator

PERCENT = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}


def _percent(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(coerce_to_string=True, **PERCENT, **kwargs)


# --- Value rules ---------------------------------------------------------------


class ValueRuleRefSerializer(serializers.Serializer):
    """The value rule a criterion is assessed from, with the current figure."""

    metric = EnumField(ValueMetric)
    operator = EnumField(ValueOperator)
    threshold = serializers.DecimalField(max_digits=16, decimal_places=2)
    label = serializers.CharField(help_text="“3-year ROI (%) ≥ 0”.")
    current = serializers.SerializerMethodField(
        help_text="The figure as it stands (the evidence it gives); null when not read."
    )
    holds = serializers.SerializerMethodField(
        help_text="Whether the rule holds for the current figure; null when not read."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current(self, rule: Any) -> str | None:
        figure = getattr(rule, "figure", None)
        return None if figure is None else figure.text

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_holds(self, rule: Any) -> bool | None:
        figure = getattr(rule, "figure", None)
        return None if figure is None else rule.holds_for(figure.value)


class ValueRuleInput(serializers.Serializer):
    metric = EnumField(
        ValueMetric,
        help_text="roi_3y (percent), npv (currency), payback_month, or adoption_vs_pilot "
        "(the latest validated wave's adoption minus the pilot's, in points: ≥ 0 is "
        "“adoption at or above the pilot rate”).",
    )
    operator = EnumField(ValueOperator)
    threshold = serializers.DecimalField(max_digits=15, decimal_places=2)


class CriterionValueRuleSerializer(serializers.Serializer):
    """A criterion's value rule and the assessment it gave."""

    criterion = serializers.IntegerField(source="review_criterion.pk")
    rule = ValueRuleRefSerializer(source="*")
    status = serializers.ChoiceField(
        choices=AssessmentStatus.choices, source="review_criterion.status"
    )
    evidence = serializers.CharField(source="review_criterion.evidence")


class UnbindInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the criterion is to be assessed by hand (audited)."
    )


# --- The rollout -----------------------------------------------------------------


class PilotScopeSerializer(serializers.Serializer):
    unit = serializers.CharField()
    pilot_units = serializers.IntegerField()
    target_units = serializers.IntegerField()
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=1)
    adoption_percent = _percent(allow_null=True)
    updated_by = UserRefSerializer()
    updated_at = serializers.DateTimeField()


class PilotScopeInput(serializers.Serializer):
    unit = serializers.CharField(max_length=40, help_text="users, branches, sites…")
    pilot_units = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    target_units = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    adoption_percent = _percent(
        required=False, allow_null=True, help_text="The pilot's adoption rate, once measured."
    )


class WaveSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="wave.pk")
    order = serializers.IntegerField(source="wave.order")
    share_percent = _percent(source="wave.share_percent")
    planned_date = serializers.DateField(source="wave.planned_date", allow_null=True)
    started_on = serializers.DateField(source="wave.started_on", allow_null=True)
    adoption_threshold_percent = _percent(source="wave.adoption_threshold_percent")
    validated_on = serializers.DateField(source="wave.validated_on", allow_null=True)
    stable = serializers.BooleanField(source="wave.stable", allow_null=True)
    adoption_percent = _percent(source="wave.adoption_percent", allow_null=True)
    validation_note = serializers.CharField(source="wave.validation_note")
    validated_by = UserRefSerializer(source="wave.validated_by", allow_null=True)
    passed = serializers.BooleanField(
        source="wave.passed",
        allow_null=True,
        help_text="Stable with adoption at or above the threshold; null until validated.",
    )
    can_start = serializers.BooleanField(
        help_text="Not started, and the wave before (if any) passed its validation."
    )
    can_validate = serializers.BooleanField(help_text="Started and not passed yet.")


class RolloutSerializer(serializers.Serializer):
    use_case = serializers.IntegerField(source="use_case_id")
    pilot = PilotScopeSerializer(allow_null=True)
    warning = serializers.CharField(
        help_text="Why the pilot's share is outside the playbook's 5–15%; empty inside it."
    )
    default_threshold_percent = _percent(source="default_threshold")
    default_threshold_source = serializers.CharField(
        help_text="Where a wave's default adoption threshold comes from: the pilot's adoption "
        "rate once recorded, else the framework's 60%."
    )
    waves = WaveSerializer(many=True)


class WaveInput(serializers.Serializer):
    share_percent = _percent(help_text="The share of the target this wave reaches.")
    planned_date = serializers.DateField(required=False, allow_null=True)
    adoption_threshold_percent = _percent(
        required=False,
        allow_null=True,
        help_text="Left out: the pilot's adoption rate, else 60%.",
    )


class WavePlanInput(serializers.Serializer):
    waves = WaveInput(
        many=True,
        required=False,
        allow_null=True,
        help_text="Shares strictly increasing, the last 100; left out: 25%, 50%, 100%.",
    )


class WaveStartInput(serializers.Serializer):
    started_on = serializers.DateField()


class WaveValidateInput(serializers.Serializer):
    validated_on = serializers.DateField()
    stable = serializers.BooleanField()
    adoption_percent = _percent()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
