from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.catalogue import EVENT_TYPES
from integrations.models import EndpointFormat, WebhookEndpoint


class EndpointForm(forms.Form):
    """Shape only; the service validates (the URL's scheme among others) and
    its refusal is shown next to the field it names."""

    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("Where to POST the events: http:// or https:// only."),
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=EndpointFormat.choices, widget=forms.RadioSelect
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint | None, data=None) -> EndpointForm:
        if endpoint is None:
            initial = {"format": EndpointFormat.JSON, "active": True}
        else:
            initial = {
                "name": endpoint.name,
                "url": endpoint.url,
                "format": endpoint.format,
                "event_types": endpoint.event_types,
                "active": endpoint.active,
            }
        return cls(data=data, initial=initial)


class EditEndpointForm(EndpointForm):
    rotate_secret = forms.BooleanField(
        label=_("Replace the signing secret"),
        required=False,
        help_text=_("Receivers must be given the new secret."),
    )
