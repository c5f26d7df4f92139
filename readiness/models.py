"""Assessments that feed the gates: the Discovery prioritization, the PoC
evaluation scorecard, the production readiness checklist, KPIs with their
measurements and the rules that bind them to gate criteria, and the expected
duration of each stage.

Definitions (scorecard items, checklist items, stage norms) are default data
from a data migration; an administrator edits them in the admin.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.labels import ChoiceLabels
from usecases.models import Stage

# --- Prioritization at Discovery ------------------------------------------


class PriorityDimension(models.TextChoices):
    """The selection criteria of the ML PoC-to-production roadmap."""

    BUSINESS_IMPACT = "business_impact", _("Business impact")
    DATA_READINESS = "data_readiness", _("Data readiness")
    TECHNICAL_FEASIBILITY = "technical_feasibility", _("Technical feasibility")
    ORGANISATIONAL_READINESS = "organisational_readiness", _("Organisational readiness")


def _score_check(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5}), name=name
    )


class Prioritization(models.Model):
    """The use case's score against the selection criteria, 1-5 each, with
    the reasoning behind every score. One per use case; changes are audited."""

    use_case = models.OneToOneField(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="prioritization"
    )
    business_impact = models.PositiveSmallIntegerField()
    business_impact_rationale = models.TextField(max_length=2000)
    data_readiness = models.PositiveSmallIntegerField()
    data_readiness_rationale = models.TextField(max_length=2000)
    technical_feasibility = models.PositiveSmallIntegerField()
    technical_feasibility_rationale = models.TextField(max_length=2000)
    organisational_readiness = models.PositiveSmallIntegerField()
    organisational_readiness_rationale = models.TextField(max_length=2000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            _score_check(dimension.value, f"prioritization_{dimension.value}_1_5")
            for dimension in PriorityDimension
        ]

    def __str__(self) -> str:
        return f"Prioritization of {self.use_case}"

    def scores(self) -> dict[str, int]:
        return {d.value: getattr(self, d.value) for d in PriorityDimension}


# --- PoC evaluation scorecard ----------------------------------------------


class ScorecardItem(models.Model):
    """An item of the PoC evaluation scorecard with what a 5, a 3 and a 1 mean."""

    order = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=120, unique=True)
    excellent = models.CharField("5 (Excellent)", max_length=300)
    acceptable = models.CharField("3 (Acceptable)", max_length=300)
    insufficient = models.CharField("1 (Insufficient)", max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class ScorecardBand(models.TextChoices):
    RECOMMENDED = "recommended", _("Recommended for production")
    CONDITIONAL = (
        "conditional",
        _("Conditional production possible (improve low-scoring items first)"),
    )
    MORE_POC = "more_poc", _("Additional PoC period or strategy revision needed")


class PocScorecard(ChoiceLabels, models.Model):
    """One scoring of the PoC. Every save is a new version; the latest is the
    use case's scorecard and the earlier ones stay as history."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="poc_scorecards"
    )
    version = models.PositiveIntegerField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20, choices=ScorecardBand.choices)
    note = models.TextField(max_length=2000, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now_add=True)
    cited_by = models.ManyToManyField(
        "gates.ReviewCriterion",
        related_name="scorecards",
        blank=True,
        help_text="Gate criteria that cite this version of the scorecard as evidence.",
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "version"], name="poc_scorecard_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(band__in=ScorecardBand.values), name="poc_scorecard_band_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"PoC scorecard v{self.version} of {self.use_case}"

    @property
    def label(self) -> str:
        """``PoC scorecard v3: 26/30, Recommended for production``."""
        return f"PoC scorecard v{self.version}: {self.total}/30, {self.get_band_display()}"


class PocScore(models.Model):
    scorecard = models.ForeignKey(PocScorecard, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(ScorecardItem, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["item__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "item"], name="poc_score_item_unique"),
            _score_check("score", "poc_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.score}/5"


# --- Production readiness checklist ----------------------------------------


class ChecklistGroup(models.TextChoices):
    TECHNICAL = "technical", _("Technical")
    OPERATIONS = "operations", _("Operations")
    ORGANISATIONAL = "organisational", _("Organisational")


class ChecklistItemDefinition(ChoiceLabels, models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    group = models.CharField(max_length=20, choices=ChecklistGroup.choices)
    text = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class ChecklistStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ChecklistItem(ChoiceLabels, models.Model):
    """A use case's answer to one checklist item. The rows of all active
    definitions are created together when the checklist is started."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.CASCADE, related_name="checklist_items"
    )
    definition = models.ForeignKey(
        ChecklistItemDefinition, on_delete=models.PROTECT, related_name="answers"
    )
    status = models.CharField(
        max_length=20, choices=ChecklistStatus.choices, default=ChecklistStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checklist_items",
    )
    evidence = models.TextField(max_length=5000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["definition__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "definition"], name="checklist_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ChecklistStatus.values),
                name="checklist_item_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} ({self.get_status_display()})"


# --- KPIs ------------------------------------------------------------------


class KpiKind(models.TextChoices):
    LEADING = "leading", _("Leading")
    LAGGING = "lagging", _("Lagging")


class KpiDirection(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


VALUE_DIGITS = {"max_digits": 18, "decimal_places": 4}


class KpiOperator(models.TextChoices):
    AT_LEAST = ">=", _("≥ (at or above)")
    AT_MOST = "<=", _("≤ (at or below)")


OPERATOR_SYMBOLS = {KpiOperator.AT_LEAST: "≥", KpiOperator.AT_MOST: "≤"}


class Kpi(ChoiceLabels, models.Model):
    use_case = models.ForeignKey("usecases.UseCase", on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=KpiKind.choices)
    unit = models.CharField(max_length=30, blank=True)
    baseline = models.DecimalField(**VALUE_DIGITS, null=True, blank=True)
    target = models.DecimalField(**VALUE_DIGITS)
    direction = models.CharField(max_length=10, choices=KpiDirection.choices)
    # Monitoring in operation: the bound a measurement must keep (for example
    # accuracy ≥ 91%, a 3% drop from 94%); a measurement that breaks it is a
    # drift breach and opens a recertification early. Empty: not monitored.
    drift_operator = models.CharField(max_length=2, choices=KpiOperator.choices, blank=True)
    drift_threshold = models.DecimalField(**VALUE_DIGITS, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "name"], name="kpi_name_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=KpiKind.values), name="kpi_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=KpiDirection.values), name="kpi_direction_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(drift_operator="", drift_threshold__isnull=True)
                | models.Q(drift_operator__in=KpiOperator.values, drift_threshold__isnull=False),
                name="kpi_drift_rule_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def meets_target(self, value) -> bool:
        if self.direction == KpiDirection.HIGHER:
            return value >= self.target
        return value <= self.target

    @property
    def is_monitored(self) -> bool:
        return bool(self.drift_operator)

    @property
    def drift_label(self) -> str:
        """``Accuracy ≥ 91%``; empty when the KPI is not monitored."""
        if not self.is_monitored:
            return ""
        return (
            f"{self.name} {OPERATOR_SYMBOLS[self.drift_operator]} "
            f"{format_value(self.drift_threshold, self.unit)}"
        )

    def breaches_drift(self, value) -> bool:
        """True when ``value`` breaks the drift bound (a drift breach)."""
        if not self.is_monitored:
            return False
        if self.drift_operator == KpiOperator.AT_LEAST:
            return value < self.drift_threshold
        return value > self.drift_threshold


class KpiMeasurement(models.Model):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(**VALUE_DIGITS)
    measured_at = models.DateField()
    note = models.CharField(max_length=1000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measured_at", "id"]
        indexes = [models.Index(fields=["kpi", "-measured_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} on {self.measured_at}"


def format_value(value: Decimal, unit: str = "") -> str:
    """A KPI value as people write it: ``62%``, ``1.5 days``, ``1200``."""
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


class KpiRule(ChoiceLabels, models.Model):
    """Binds a criterion of a gate review to a KPI: the criterion is assessed
    from the KPI's latest measurement while the review is open."""

    review_criterion = models.OneToOneField(
        "gates.ReviewCriterion", on_delete=models.CASCADE, related_name="kpi_rule"
    )
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="rules")
    operator = models.CharField(max_length=2, choices=KpiOperator.choices)
    threshold = models.DecimalField(**VALUE_DIGITS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(operator__in=KpiOperator.values), name="kpi_rule_operator_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.operator} {self.threshold}"

    @property
    def label(self) -> str:
        """``Pilot adoption ≥ 60%``."""
        return (
            f"{self.kpi.name} {OPERATOR_SYMBOLS[self.operator]} "
            f"{format_value(self.threshold, self.kpi.unit)}"
        )

    def holds_for(self, value) -> bool:
        if self.operator == KpiOperator.AT_LEAST:
            return value >= self.threshold
        return value <= self.threshold


# --- Stage-duration norms --------------------------------------------------


class StageNorm(ChoiceLabels, models.Model):
    """How long a stage is expected to take. Scale has no norm: it is where a
    use case stays."""

    stage = models.CharField(
        max_length=20,
        choices=[(s.value, s.label) for s in Stage if s != Stage.SCALE],
        unique=True,
    )
    min_days = models.PositiveIntegerField()
    max_days = models.PositiveIntegerField()

    class Meta:
        ordering = ["min_days", "stage"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_days__gte=models.F("min_days")),
                name="stage_norm_max_at_least_min",
            ),
            models.CheckConstraint(
                condition=~models.Q(stage=Stage.SCALE), name="stage_norm_not_scale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.describe()}"

    def describe(self) -> str:
        if self.min_days % 7 == 0 and self.max_days % 7 == 0:
            return gettext("%(min)s–%(max)s weeks") % {
                "min": self.min_days // 7,
                "max": self.max_days // 7,
            }
        return gettext("%(min)s–%(max)s days") % {"min": self.min_days, "max": self.max_days}
