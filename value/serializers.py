"""Serializers of the value API: input ones parse and type-check a request
(400 with field messages), output ones shape what ``value.selectors.value_read``
read. The services check what the input means (amounts, stages reached, who
asks) and refuse with a domain error."""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from usecases.models import Stage
from value.models import CostCategory


def _must_be_one_of(label: str, values: str) -> str:
    return gettext("%(label)s must be one of: %(values)s.") % {"label": label, "values": values}


def choice_field(enum: type[TextChoices], label: str, **kwargs: Any) -> serializers.ChoiceField:
    """``label``: lazy, the refusal is written when a request is answered."""
    kwargs.setdefault(
        "error_messages",
        {"invalid_choice": lazy(_must_be_one_of, str)(label, ", ".join(enum.values))},
    )
    return serializers.ChoiceField(choices=enum.choices, **kwargs)


def amount_in(**kwargs: Any) -> serializers.DecimalField:
    """An amount in, as a JSON number or a decimal string; at most two
    decimals, from 0 to 10^13 (the service checks and names the field)."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


def money(**kwargs: Any) -> serializers.DecimalField:
    """An amount out: a decimal string with two decimals."""
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


# --- Input ------------------------------------------------------------------------


class CostCellInput(serializers.Serializer):
    stage = choice_field(Stage, gettext_lazy("The stage"))
    category = choice_field(CostCategory, gettext_lazy("The category"))
    planned = amount_in(
        required=False, allow_null=True, help_text="Left out: unchanged. Null: cleared."
    )
    actual = amount_in(
        required=False,
        allow_null=True,
        help_text="Left out: unchanged. Null: cleared. Only for stages the use case has reached.",
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Left out: unchanged."
    )


class CostsInput(serializers.Serializer):
    cells = CostCellInput(many=True, max_length=25)


class BenefitInput(serializers.Serializer):
    name = serializers.CharField(max_length=160)
    annual_amount = amount_in()
    kpi = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A KPI of the same use case."
    )


class BenefitChangeInput(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False)
    annual_amount = amount_in(required=False)
    kpi = serializers.IntegerField(
        required=False, allow_null=True, help_text="A KPI of the same use case; null unties it."
    )


class RealisationInput(serializers.Serializer):
    period_end = serializers.DateField(help_text="The end of the period; not in the future.")
    amount = amount_in()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    kpi_measurement = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A measurement of the benefit's KPI the amount rests on.",
    )


# --- Output -----------------------------------------------------------------------


class CostCellSerializer(serializers.Serializer):
    category = choice_field(CostCategory, gettext_lazy("The category"), read_only=True)
    planned = money(allow_null=True)
    actual = money(allow_null=True)


class StageCostsSerializer(serializers.Serializer):
    stage = choice_field(Stage, gettext_lazy("The stage"), read_only=True)
    label = serializers.CharField(read_only=True)
    reached = serializers.BooleanField(
        read_only=True, help_text="Whether actual costs may be recorded for this stage."
    )
    cells = CostCellSerializer(many=True, read_only=True)
    planned_total = money()
    actual_total = money()


class CategoryTotalSerializer(serializers.Serializer):
    category = choice_field(CostCategory, gettext_lazy("The category"), read_only=True)
    label = serializers.CharField(read_only=True)
    planned = money()
    actual = money()


class BenefitSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    annual_amount = money()
    kpi = serializers.IntegerField(source="kpi_id", read_only=True, allow_null=True)
    kpi_name = serializers.SerializerMethodField()
    realised = money(allow_null=True, help_text="Brought in so far; null when nothing recorded.")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_kpi_name(self, benefit: Any) -> str | None:
        return benefit.kpi.name if benefit.kpi_id else None


class RealisationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    benefit = serializers.IntegerField(source="benefit_id", read_only=True)
    period_end = serializers.DateField(read_only=True)
    amount = money()
    kpi_measurement = serializers.IntegerField(
        source="kpi_measurement_id", read_only=True, allow_null=True
    )
    note = serializers.CharField(read_only=True)


class RangeSerializer(serializers.Serializer):
    low = money()
    high = money()


class ProjectedCategorySerializer(serializers.Serializer):
    category = choice_field(CostCategory, gettext_lazy("The category"), read_only=True)
    poc_actual = money()
    multiplier_low = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    multiplier_high = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    low = money()
    high = money()


class ProjectionSerializer(serializers.Serializer):
    poc_actual = money(help_text="The PoC's actual one-off cost.")
    by_category = ProjectedCategorySerializer(many=True, read_only=True)
    total = RangeSerializer(read_only=True, help_text="The sum of the categories' projections.")
    operations_annual = RangeSerializer(
        read_only=True, help_text="20–30% of the projected investment, a year."
    )
    rule_of_thumb = RangeSerializer(read_only=True, help_text="3–5× the PoC.")
    survey = RangeSerializer(read_only=True, help_text="8–15× the PoC (survey).")
    planned = money(
        allow_null=True, help_text="The Pilot and Production one-off plans; null when none."
    )
    below_projection = serializers.BooleanField(read_only=True)
    shortfall = money()


class ReturnsSerializer(serializers.Serializer):
    investment = money()
    operations_annual = money()
    benefits_annual = money()
    costs = money(help_text="Over the horizon.")
    benefits = money(help_text="Over the horizon.")
    roi_percent = serializers.DecimalField(
        max_digits=12,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="3-year ROI in percent; null when nothing is spent or planned.",
    )
    npv = money()
    payback_month = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="0 when nothing is invested; null when never paid back.",
    )
    horizon_months = serializers.IntegerField(read_only=True)


class ValueSerializer(serializers.Serializer):
    """A use case's money: the grid, totals, benefits, projection and returns."""

    use_case = serializers.IntegerField(source="finances.use_case_id", read_only=True)
    currency = serializers.CharField(read_only=True)
    discount_rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, read_only=True, help_text="A year, as a fraction."
    )
    stages = StageCostsSerializer(many=True, read_only=True)
    category_totals = CategoryTotalSerializer(many=True, read_only=True)
    planned_total = money()
    actual_total = money()
    spent = money(source="finances.spent", help_text="Every actual cost recorded.")
    benefits = BenefitSerializer(many=True, read_only=True)
    benefits_annual = money()
    realised = money(source="finances.realised")
    projection = serializers.SerializerMethodField()
    returns = ReturnsSerializer(read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    @extend_schema_field(ProjectionSerializer)
    def get_projection(self, read: Any) -> dict[str, Any]:
        p = read.projection
        return ProjectionSerializer(
            {
                "poc_actual": p.poc_actual,
                "by_category": read.projected,
                "total": p.total,
                "operations_annual": p.operations_annual,
                "rule_of_thumb": p.rule_of_thumb,
                "survey": p.survey,
                "planned": p.planned,
                "below_projection": p.below_projection,
                "shortfall": p.shortfall,
            }
        ).data


class BenefitListSerializer(serializers.Serializer):
    results = BenefitSerializer(many=True, read_only=True)


class CostMultiplierSerializer(serializers.Serializer):
    category = choice_field(CostCategory, gettext_lazy("The category"), read_only=True)
    low = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    high = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)


class CostMultiplierListSerializer(serializers.Serializer):
    results = CostMultiplierSerializer(many=True, read_only=True)
