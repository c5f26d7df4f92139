"""A use case in operation at Scale: the incidents recorded against it and
the drift breaches of its monitored KPIs. Either opens a recertification
early (the review it opened, or the one already open, is kept on the row).

The operating owner and the next recertification's due date are fields of
the use case (``usecases.UseCase``); the drift bound of a monitored KPI is on
the KPI (``readiness.Kpi``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from core.labels import ChoiceLabels
from core.validators import single_line
from readiness.models import VALUE_DIGITS, KpiOperator


class IncidentSeverity(models.TextChoices):
    LOW = "low", gettext_lazy("Low")
    MEDIUM = "medium", gettext_lazy("Medium")
    HIGH = "high", gettext_lazy("High")
    CRITICAL = "critical", gettext_lazy("Critical")


class Incident(ChoiceLabels, models.Model):
    """Something that went wrong with the use case in operation: a wrong
    decision that reached a customer, an outage, a complaint, a breach."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(max_length=200, validators=[single_line])
    severity = models.CharField(max_length=10, choices=IncidentSeverity.choices)
    occurred_on = models.DateField()
    description = models.TextField(max_length=5000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    # The recertification review it opened, or the open one it was added to.
    review = models.ForeignKey(
        "gates.GateReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=IncidentSeverity.values),
                name="incident_severity_valid",
            ),
        ]
        indexes = [models.Index(fields=["use_case", "-occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} incident: {self.title}"


class DriftBreach(ChoiceLabels, models.Model):
    """A measurement of a monitored KPI that broke its drift bound, with the
    bound as it stood then."""

    use_case = models.ForeignKey(
        "usecases.UseCase", on_delete=models.PROTECT, related_name="drift_breaches"
    )
    kpi = models.ForeignKey(
        "readiness.Kpi", on_delete=models.CASCADE, related_name="drift_breaches"
    )
    measurement = models.OneToOneField(
        "readiness.KpiMeasurement", on_delete=models.CASCADE, related_name="drift_breach"
    )
    value = models.DecimalField(**VALUE_DIGITS)
    operator = models.CharField(max_length=2, choices=KpiOperator.choices)
    threshold = models.DecimalField(**VALUE_DIGITS)
    detected_at = models.DateTimeField(auto_now_add=True)
    review = models.ForeignKey(
        "gates.GateReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drift_breaches",
    )

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["use_case", "-detected_at"])]

    def __str__(self) -> str:
        return f"Drift breach of {self.kpi}: {self.value}"
