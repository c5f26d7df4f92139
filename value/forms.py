"""The Value page's forms. They collect text; the services parse amounts and
dates, so the page and the API refuse the same input the same way."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from usecases.models import Stage
from value.models import CATEGORY_IN_TEXT, CostCategory


def cell_name(kind: str, stage: str, category: str) -> str:
    return f"{kind}__{stage}__{category}"


class CostGridForm(forms.Form):
    """The whole budget grid: a planned amount per stage and category, and an
    actual one for the stages the use case has reached."""

    def __init__(self, *args: Any, reached: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reached = reached
        for stage in Stage.ordered():
            for category in CostCategory:
                kinds = ["planned", "actual"] if stage in reached else ["planned"]
                for kind in kinds:
                    label = (
                        gettext("Planned %(stage)s %(category)s")
                        if kind == "planned"
                        else gettext("Actual %(stage)s %(category)s")
                    )
                    self.fields[cell_name(kind, stage, category)] = forms.CharField(
                        required=False,
                        max_length=40,
                        label=label
                        % {"stage": stage.label, "category": CATEGORY_IN_TEXT[category]},
                        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
                    )

    def rows(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The cells as the service takes them, and per row the stage and
        category (to put a refusal back on its input)."""
        rows: list[dict[str, Any]] = []
        for stage in Stage.ordered():
            for category in CostCategory:
                row: dict[str, Any] = {"stage": stage.value, "category": category.value}
                for kind in ("planned", "actual"):
                    name = cell_name(kind, stage, category)
                    if name in self.fields:
                        row[kind] = self.cleaned_data.get(name, "")
                rows.append(row)
        return rows, [f"{r['stage']}__{r['category']}" for r in rows]

    def cell(self, kind: str, stage: str, category: str) -> forms.BoundField | None:
        name = cell_name(kind, stage, category)
        return self[name] if name in self.fields else None


class BenefitForm(forms.Form):
    name = forms.CharField(max_length=160)
    annual_amount = forms.CharField(label=gettext_lazy("Annual amount"), max_length=40)
    kpi = forms.ChoiceField(label=gettext_lazy("Shown by KPI"), required=False)

    def __init__(self, *args: Any, kpis: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [("", gettext("— none —"))] + [
            (str(k.pk), k.name) for k in kpis
        ]


class RealisationForm(forms.Form):
    period_end = forms.CharField(
        label=gettext_lazy("Period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=40)
    kpi_measurement = forms.ChoiceField(label=gettext_lazy("Measurement"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, measurements: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi_measurement"].choices = [("", gettext("— none —"))] + [
            (
                str(m.pk),
                gettext("%(value)s on %(day)s")
                % {"value": f"{m.value.normalize():f}", "day": f"{m.measured_at:%Y-%m-%d}"},
            )
            for m in measurements
        ]
        if not measurements:
            del self.fields["kpi_measurement"]
