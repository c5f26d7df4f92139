"""``GET /api/v1/dashboard/value/``: the dashboard's portfolio value, the
same read as the panel (``value_selectors.portfolio_value``). Program leads
and executives, like the dashboard; others 403."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PermissionRefused
from reporting import rules
from reporting.value_selectors import portfolio_value
from usecases.models import Stage
from value.serializers import RangeSerializer

MONEY = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}


class StageMoneySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    label = serializers.CharField(source="stage.label")
    use_cases = serializers.IntegerField(help_text="In play, with at least one cost line.")
    planned = serializers.DecimalField(
        **MONEY, help_text="Every planned cost, operations for one year."
    )
    actual = serializers.DecimalField(**MONEY)
    projected = RangeSerializer(help_text="The production budget their PoC actuals project.")
    with_poc_actuals = serializers.IntegerField()
    pipeline_planned = serializers.DecimalField(
        **MONEY, help_text="The one-off budget planned for Pilot and Production."
    )
    hypothesis_annual = serializers.DecimalField(**MONEY)
    realised = serializers.DecimalField(**MONEY)


class BucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class KillRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The gate number, or the exit reason's code ('none').")
    label = serializers.CharField()
    kills = serializers.IntegerField()
    days = serializers.FloatField(
        allow_null=True, help_text="Average days from the use case's creation to the kill."
    )
    spent = serializers.DecimalField(**MONEY, help_text="Actual costs before the kill.")


class PortfolioValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    spent = serializers.DecimalField(**MONEY, help_text="Every actual cost recorded.")
    pipeline_planned = serializers.DecimalField(
        **MONEY,
        help_text="Planned one-off Pilot and Production budget of the use cases in play "
        "not yet at Production.",
    )
    pipeline_projected = RangeSerializer()
    pipeline_use_cases = serializers.IntegerField()
    pipeline_with_poc_actuals = serializers.IntegerField()
    realised = serializers.DecimalField(**MONEY, help_text="Every realised benefit.")
    hypothesis_annual = serializers.DecimalField(**MONEY)
    stages = StageMoneySerializer(many=True)
    roi = BucketSerializer(many=True, help_text="3-year ROI in percent, use cases in play.")
    payback = BucketSerializer(many=True, help_text="Payback month, use cases in play.")
    kills = serializers.IntegerField()
    killed_spent = serializers.DecimalField(**MONEY)
    kill_days = serializers.FloatField(allow_null=True)
    kills_by_gate = KillRowSerializer(many=True)
    kills_by_reason = KillRowSerializer(many=True)
    read_at = serializers.DateTimeField(
        help_text="When the figures were read (kept VALUE_DASHBOARD_CACHE_SECONDS)."
    )


class DashboardValueView(APIView):
    """What the portfolio has cost, what its pipeline will cost to reach
    production, what it has returned, where and why its use cases die."""

    @extend_schema(responses={200: PortfolioValueSerializer}, tags=["dashboard"])
    def get(self, request: Request) -> Response:
        if not rules.can_see_dashboard(request.user):
            raise PermissionRefused(rules.DASHBOARD_REFUSAL)
        return Response(PortfolioValueSerializer(portfolio_value(user=request.user)).data)
