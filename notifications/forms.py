from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from notifications.models import EmailMode, Kind


class PreferencesForm(forms.Form):
    email_mode = forms.ChoiceField(
        label=gettext_lazy("E-mail me"), choices=EmailMode.choices, widget=forms.RadioSelect
    )
    email_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("E-mail me about"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Unticked kinds still reach your inbox; they are just not e-mailed."
        ),
    )

    @classmethod
    def for_preference(cls, preference, data=None) -> PreferencesForm:
        initial = {
            "email_mode": preference.email_mode,
            "email_kinds": [k for k in Kind.values if k not in preference.email_kinds_off],
        }
        return cls(data=data, initial=initial)

    def kinds_off(self) -> list[str]:
        on = set(self.cleaned_data["email_kinds"])
        return [k for k in Kind.values if k not in on]
