"""Forms of the readiness page. They validate shape only; the services check
ranges, permissions and state, and their refusals land back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.choices import ModelChoiceField
from readiness.models import (
    ChecklistStatus,
    KpiDirection,
    KpiKind,
    KpiOperator,
    PriorityDimension,
    ScorecardItem,
)
from usecases.people import PersonField, active_users

User = get_user_model()

SCORE_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(1, 6)]


class PrioritizationForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for dimension in PriorityDimension:
            self.fields[dimension.value] = forms.TypedChoiceField(
                label=dimension.label, choices=SCORE_CHOICES, coerce=int
            )
            self.fields[f"{dimension.value}_rationale"] = forms.CharField(
                label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def dimension_fields(self) -> list[tuple[Any, Any]]:
        return [(self[d.value], self[f"{d.value}_rationale"]) for d in PriorityDimension]


class ScorecardForm(forms.Form):
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, items: list[ScorecardItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.TypedChoiceField(
                label=item.name, choices=SCORE_CHOICES, coerce=int
            )
            self.fields[f"comment_{item.pk}"] = forms.CharField(
                label=_("Comment"), max_length=1000, required=False
            )

    def rows(self) -> list[tuple[ScorecardItem, Any, Any]]:
        return [(i, self[f"item_{i.pk}"], self[f"comment_{i.pk}"]) for i in self.items]


class ChecklistItemForm(forms.Form):
    """One item's status, owner and evidence. The owner is found by a search
    (``usecases.people``): the page renders fifteen of these, each with a
    select of everyone before (6.4 s at 100,000 use cases)."""

    status = forms.ChoiceField(choices=ChecklistStatus.choices)
    owner = PersonField(queryset=active_users(), required=False, empty_label=_("— nobody yet —"))
    evidence = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 1, "placeholder": "Evidence: what shows it is done"}),
    )


class KpiForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=KpiKind.choices)
    unit = forms.CharField(max_length=30, required=False)
    baseline = forms.DecimalField(max_digits=18, decimal_places=4, required=False)
    target = forms.DecimalField(max_digits=18, decimal_places=4)
    direction = forms.ChoiceField(choices=KpiDirection.choices)


class MeasurementForm(forms.Form):
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    measured_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=1000, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(help_text=_("CSV, UTF-8, at most 1 MB: kpi,measured_at,value,note"))


class KpiRuleForm(forms.Form):
    """Bind a gate criterion to a KPI rule: assessed from the latest measurement."""

    kpi = ModelChoiceField(queryset=None, label=_("KPI"), empty_label=None)
    operator = forms.ChoiceField(
        label=_("Met when the latest value is"), choices=KpiOperator.choices
    )
    threshold = forms.DecimalField(label=_("Threshold"), max_digits=18, decimal_places=4)

    def __init__(self, *args: Any, kpis: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = kpis
        self.fields["kpi"].label_from_instance = lambda kpi: (
            f"{kpi.name} ({kpi.unit})" if kpi.unit else kpi.name
        )
