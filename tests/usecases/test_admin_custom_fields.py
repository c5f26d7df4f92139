"""Administrators manage custom fields in the admin; every add, change and
"delete" (a deactivation) goes through the services and is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from tests.usecases.custom_field_helpers import administrator
from usecases.models import CustomField

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(administrator())
    return client


def form(**overrides) -> dict[str, str]:
    return {
        "key": "region",
        "label": "Deployment region",
        "help_text": "",
        "kind": "choice",
        "choices_text": "EU (Dublin)\nUS East\n",
        "required_from_stage": "poc",
        "active": "on",
        "order": "1",
        **overrides,
    }


def test_an_administrator_adds_changes_and_deactivates_a_field(admin_client):
    response = admin_client.post(reverse("admin:usecases_customfield_add"), form())
    assert response.status_code == 302
    field = CustomField.objects.get(key="region")
    assert field.choices == ["EU (Dublin)", "US East"]
    assert field.required_from_stage == "poc"

    change = reverse("admin:usecases_customfield_change", args=[field.pk])
    response = admin_client.post(change, form(choices_text="EU (Dublin)\nUS East\nAPAC"))
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.choices == ["EU (Dublin)", "US East", "APAC"]

    delete = reverse("admin:usecases_customfield_delete", args=[field.pk])
    response = admin_client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.active is False
    assert list(
        AuditEvent.objects.filter(action__startswith="custom_field.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["custom_field.created", "custom_field.changed", "custom_field.deactivated"]


def test_the_admin_never_changes_the_key_or_the_kind(admin_client):
    admin_client.post(reverse("admin:usecases_customfield_add"), form())
    field = CustomField.objects.get(key="region")

    change = reverse("admin:usecases_customfield_change", args=[field.pk])
    admin_client.post(change, form(key="area", kind="text", label="Region"))

    field.refresh_from_db()
    assert (field.key, field.kind, field.label) == ("region", "choice", "Region")
