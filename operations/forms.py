"""Forms of the operation page. They validate shape only; the services check
permissions, state and the rest, and their refusals land back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy

from operations.models import IncidentSeverity
from readiness.models import KpiOperator
from usecases.people import PersonField, active_users

User = get_user_model()


class OwnerForm(forms.Form):
    owner = PersonField(
        label=gettext_lazy("New operating owner"),
        queryset=active_users(),
        empty_label=gettext_lazy("Choose a person"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the owner changes"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DriftForm(forms.Form):
    operator = forms.ChoiceField(
        label=gettext_lazy("Breached when the value is not"), choices=KpiOperator.choices
    )
    threshold = forms.DecimalField(
        label=gettext_lazy("Drift bound"), max_digits=18, decimal_places=4
    )


class IncidentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=IncidentSeverity.choices)
    occurred_on = forms.DateField(
        label=gettext_lazy("Happened on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"occurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
