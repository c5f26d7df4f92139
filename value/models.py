"""The money and the rollout of a use case: planned and actual cost per stage
and category, the benefits it promises (annual figures) and those it
realises, the PoC-to-production multipliers the projection uses, a rule
binding a gate criterion to ROI, NPV or payback, and the rollout (the pilot's
scope and the production waves with their validations).

Amounts are in the installation's one currency (VALUE_CURRENCY)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.labels import ChoiceLabels
from core.validators import single_line
from readiness.models import format_value
from usecases.models import Stage

MONEY = {"max_digits": 16, "decimal_places": 2}
PERCENT = {"max_digits": 6, "decimal_places": 2}


class CostCategory(models.TextChoices):
    """The categories of the scorecard's cost projection model (Strategy 5)."""

    INFRASTRUCTURE = "infrastructure", gettext_lazy("Infrastructure")
    DEVELOPMENT = "development", gettext_lazy("Development")
    DATA_PREPARATION = "data_preparation", gettext_lazy("Data preparation")
    TRAINING = "training_change", gettext_lazy("Training and change management")
    OPERATIONS = "operations_annual", gettext_lazy("Operations (per year)")


# A category inside a sentence ("planned Pilot infrastructure"): lower case in
# English, as German writes its nouns in German.
CATEGORY_IN_TEXT = {
    CostCategory.INFRASTRUCTURE: pgettext_lazy("cost category in a sentence", "infrastructure"),
    CostCategory.DEVELOPMENT: pgettext_lazy("cost category in a sentence", "development"),
    CostCategory.DATA_PREPARATION: pgettext_lazy("cost category in a sentence", "data preparation"),
    CostCategory.TRAINING: pgettext_lazy(
        "cost category in a sentence", "training and change management"
    ),
    CostCategory.OPERATIONS: pgettext_lazy("cost category in a sentence", "operations (per year)"),
}

ONE_OFF_CATEGORIES = (
    CostCategory.INFRASTRUCTURE,
    CostCategory.DEVELOPMENT,
    CostCategory.DATA_PREPARATION,
    CostCategory.TRAINING,
)


def _not_negative(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__gte": 0}),
        name=name,
    )


class CostLine(ChoiceLabels, models.Model):
    """One cell of a use case's budget: a stage and a category, planned and
    (once spent) actual. Operations is an annual figure, the others one-off."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="cost_lines"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices)
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    planned = models.DecimalField(**MONEY, null=True, blank=True)
    actual = models.DecimalField(**MONEY, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["use_case", "stage", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "stage", "category"], name="cost_line_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values), name="cost_line_stage_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=CostCategory.values),
                name="cost_line_category_valid",
            ),
            _not_negative("planned", "cost_line_planned_not_negative"),
            _not_negative("actual", "cost_line_actual_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_category_display()}"


class CostMultiplier(ChoiceLabels, models.Model):
    """The PoC-to-production multiplier range of a category: default data from
    the scorecard (infrastructure 3-6x, development 3-5x, data preparation
    3-6x), edited by an administrator."""

    category = models.CharField(max_length=20, choices=CostCategory.choices, unique=True)
    low = models.DecimalField(max_digits=6, decimal_places=2)
    high = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(low__gt=0, high__gte=models.F("low")),
                name="cost_multiplier_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.low}–{self.high}×"


class Benefit(models.Model):
    """A line of the value hypothesis as an annual figure, optionally tied to
    the KPI that shows it."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="benefits"
    )
    name = models.CharField(max_length=160, validators=[single_line])
    annual_amount = models.DecimalField(**MONEY)
    kpi = models.ForeignKey(
        "readiness.Kpi", on_delete=models.SET_NULL, null=True, blank=True, related_name="benefits"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["use_case", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "name"], name="benefit_name_unique"),
            _not_negative("annual_amount", "benefit_annual_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class BenefitRealisation(models.Model):
    """Money a benefit brought in over a period ending on ``period_end``,
    measured (when tied to a KPI) from that KPI's measurement."""

    benefit = models.ForeignKey(Benefit, on_delete=models.CASCADE, related_name="realisations")
    period_end = models.DateField()
    amount = models.DecimalField(**MONEY)
    kpi_measurement = models.ForeignKey(
        "readiness.KpiMeasurement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benefit", "period_end", "id"]
        indexes = [models.Index(fields=["benefit", "period_end"])]

    def __str__(self) -> str:
        return f"{self.benefit}: {self.amount} to {self.period_end}"


class ValueMetric(models.TextChoices):
    ROI = "roi_3y", gettext_lazy("3-year ROI (%)")
    NPV = "npv", gettext_lazy("NPV")
    PAYBACK = "payback_month", gettext_lazy("Payback month")
    # The latest validated wave's adoption minus the pilot's, in percentage
    # points: "≥ 0" is the Gate 4 criterion "adoption at or above the pilot rate".
    ADOPTION = "adoption_vs_pilot", gettext_lazy("Adoption against the pilot rate (points)")


class ValueOperator(models.TextChoices):
    AT_LEAST = ">=", gettext_lazy("≥ (at or above)")
    AT_MOST = "<=", gettext_lazy("≤ (at or below)")


class ValueRule(ChoiceLabels, models.Model):
    """Binds a criterion of a gate review to the use case's ROI, NPV or
    payback month, like a KPI rule: "3-year ROI ≥ 0"."""

    review_criterion = models.OneToOneField(
        "gates.ReviewCriterion", on_delete=models.CASCADE, related_name="value_rule"
    )
    metric = models.CharField(max_length=20, choices=ValueMetric.choices)
    operator = models.CharField(max_length=2, choices=ValueOperator.choices)
    threshold = models.DecimalField(**MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(metric__in=ValueMetric.values), name="value_rule_metric_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(operator__in=ValueOperator.values),
                name="value_rule_operator_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.operator} {self.threshold}"

    @property
    def label(self) -> str:
        """``3-year ROI (%) ≥ 0``, ``Adoption against the pilot rate (points) ≥ 0``."""
        symbol = "≥" if self.operator == ValueOperator.AT_LEAST else "≤"
        return f"{self.get_metric_display()} {symbol} {format_value(self.threshold)}"

    def holds_for(self, value: Decimal | int | None) -> bool:
        if value is None:
            return False
        if self.operator == ValueOperator.AT_LEAST:
            return value >= self.threshold
        return value <= self.threshold


class PilotScope(models.Model):
    """Who the pilot reaches, against the target deployment: the playbook's
    pilot runs with 5-15% of the target scale."""

    use_case = models.OneToOneField(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="pilot_scope"
    )
    unit = models.CharField(
        max_length=40, default="users", help_text=gettext_lazy("users, branches, sites…")
    )
    pilot_units = models.PositiveIntegerField()
    target_units = models.PositiveIntegerField()
    adoption_percent = models.DecimalField(
        **PERCENT,
        null=True,
        blank=True,
        help_text=gettext_lazy("The pilot's adoption rate, once measured."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_units__gt=0, pilot_units__lte=models.F("target_units")),
                name="pilot_scope_within_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Pilot of {self.use_case}: {self.pilot_units}/{self.target_units} {self.unit}"

    @property
    def share_percent(self) -> Decimal:
        return (Decimal(self.pilot_units) * 100 / Decimal(self.target_units)).quantize(
            Decimal("0.1")
        )


class RolloutWave(models.Model):
    """A production wave (by default 25%, 50%, 100% of the target): planned,
    started, then validated for stability and adoption against its threshold
    before the next wave starts."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="rollout_waves"
    )
    order = models.PositiveSmallIntegerField()
    share_percent = models.DecimalField(**PERCENT)
    planned_date = models.DateField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True)
    adoption_threshold_percent = models.DecimalField(**PERCENT)
    validated_on = models.DateField(null=True, blank=True)
    stable = models.BooleanField(null=True, blank=True)
    adoption_percent = models.DecimalField(**PERCENT, null=True, blank=True)
    validation_note = models.TextField(max_length=2000, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["use_case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "order"], name="rollout_wave_order_unique"),
            models.CheckConstraint(
                condition=models.Q(share_percent__gt=0, share_percent__lte=100),
                name="rollout_wave_share_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Wave {self.order} ({self.share_percent}%) of {self.use_case}"

    @property
    def passed(self) -> bool | None:
        """Validated stable with adoption at or above the threshold; None
        until validated."""
        if self.validated_on is None:
            return None
        return bool(self.stable) and (self.adoption_percent or 0) >= self.adoption_threshold_percent
