"""Forms of the rollout page and of a criterion's value rule. They check
shape only; the services check the rules and their refusals land back on the
form (``core.web.show_refusal``)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from value.models import ValueMetric, ValueOperator

PERCENT = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}


class PilotScopeForm(forms.Form):
    unit = forms.CharField(
        max_length=40, initial="users", help_text=gettext_lazy("users, branches, sites…")
    )
    pilot_units = forms.IntegerField(
        label=gettext_lazy("Pilot reaches"), min_value=1, max_value=2_000_000_000
    )
    target_units = forms.IntegerField(
        label=gettext_lazy("Target"), min_value=1, max_value=2_000_000_000
    )
    adoption_percent = forms.DecimalField(
        label=gettext_lazy("Pilot adoption (%)"),
        required=False,
        help_text=gettext_lazy("Once measured."),
        **PERCENT,
    )


class WavesPlanForm(forms.Form):
    shares = forms.CharField(
        label=gettext_lazy("Shares of the target (%)"),
        required=False,
        initial="25, 50, 100",
        help_text=gettext_lazy("Strictly increasing, the last 100. Empty: 25, 50, 100."),
    )
    planned_dates = forms.CharField(
        label=gettext_lazy("Planned dates"),
        required=False,
        help_text=gettext_lazy("Optional, one per wave in order (YYYY-MM-DD, comma-separated)."),
    )
    adoption_threshold_percent = forms.DecimalField(
        label=gettext_lazy("Adoption threshold (%)"),
        required=False,
        help_text=gettext_lazy("For every wave. Empty: the pilot's adoption rate, else 60%."),
        **PERCENT,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        shares_text = (data.get("shares") or "").strip()
        dates_text = (data.get("planned_dates") or "").strip()
        threshold = data.get("adoption_threshold_percent")
        if not shares_text and not dates_text and threshold is None:
            data["waves"] = None
            return data
        try:
            shares = [Decimal(p.strip()) for p in (shares_text or "25, 50, 100").split(",")]
        except InvalidOperation:
            self.add_error("shares", gettext("Write the shares as numbers separated by commas."))
            return data
        dates: list[datetime.date | None] = [None] * len(shares)
        if dates_text:
            parts = [p.strip() for p in dates_text.split(",")]
            if len(parts) != len(shares):
                self.add_error("planned_dates", gettext("Give one date per wave, or none."))
                return data
            try:
                dates = [datetime.date.fromisoformat(p) if p else None for p in parts]
            except ValueError:
                self.add_error("planned_dates", gettext("Write the dates as YYYY-MM-DD."))
                return data
        data["waves"] = [
            {"share_percent": s, "planned_date": d, "adoption_threshold_percent": threshold}
            for s, d in zip(shares, dates, strict=True)
        ]
        return data


class WaveStartForm(forms.Form):
    started_on = forms.DateField(
        label=gettext_lazy("Started on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"started_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class WaveValidateForm(forms.Form):
    validated_on = forms.DateField(
        label=gettext_lazy("Validated on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    stable = forms.TypedChoiceField(
        label=gettext_lazy("Stable"),
        choices=[("yes", gettext_lazy("Stable")), ("no", gettext_lazy("Not stable"))],
        coerce=lambda v: v == "yes",
    )
    adoption_percent = forms.DecimalField(label=gettext_lazy("Adoption (%)"), **PERCENT)
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"validated_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ValueRuleForm(forms.Form):
    metric = forms.ChoiceField(choices=ValueMetric.choices)
    operator = forms.ChoiceField(choices=ValueOperator.choices)
    threshold = forms.DecimalField(
        max_digits=15,
        decimal_places=2,
        initial=0,
        help_text=gettext_lazy(
            "ROI in %, NPV in the currency, payback in months, adoption in points above "
            "the pilot rate (0: at or above it)."
        ),
    )
