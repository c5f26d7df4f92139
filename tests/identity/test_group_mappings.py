"""The group mappings, edited by administrators through the API and the
admin, every change audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEvent
from identity.models import GroupMapping
from tests.factories import BusinessUnitFactory, UserFactory
from usecases.models import OrgRole

URL = "/api/v1/sso/group-mappings/"


@pytest.fixture
def admin_api(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    return client


def test_an_administrator_adds_changes_and_removes_a_mapping(admin_api, claims_unit):
    response = admin_api.post(
        URL,
        {"idp_group": "stagegate-leads", "org_role": OrgRole.PROGRAM_LEAD},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["idp_group"] == "stagegate-leads"
    assert body["org_role"] == OrgRole.PROGRAM_LEAD
    assert body["business_unit"] is None
    created = AuditEvent.objects.get(action="identity.mapping_created")
    assert created.payload["after"]["org_role"] == OrgRole.PROGRAM_LEAD

    response = admin_api.put(
        f"{URL}{body['id']}/",
        {"idp_group": "stagegate-leads", "org_role": "", "business_unit": claims_unit.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["business_unit_name"] == "Claims Operations"
    updated = AuditEvent.objects.get(action="identity.mapping_updated")
    assert updated.payload == {
        "before": {"org_role": OrgRole.PROGRAM_LEAD, "business_unit": None},
        "after": {"org_role": "", "business_unit": "claims"},
    }

    assert admin_api.get(URL).json()[0]["business_unit"] == claims_unit.pk

    assert admin_api.delete(f"{URL}{body['id']}/").status_code == 204
    assert not GroupMapping.objects.exists()
    deleted = AuditEvent.objects.get(action="identity.mapping_deleted")
    assert deleted.payload["before"]["idp_group"] == "stagegate-leads"


def test_a_mapping_must_grant_something_and_name_a_group_once(admin_api):
    response = admin_api.post(URL, {"idp_group": "nothing"}, format="json")
    assert response.status_code == 400
    assert not GroupMapping.objects.exists()

    admin_api.post(URL, {"idp_group": "leads", "org_role": OrgRole.EXECUTIVE}, format="json")
    response = admin_api.post(
        URL, {"idp_group": "leads", "org_role": OrgRole.CIO_CTO}, format="json"
    )
    assert response.status_code == 400
    assert "idp_group" in response.json()["fields"]
    assert GroupMapping.objects.get().org_role == OrgRole.EXECUTIVE

    response = admin_api.post(URL, {"idp_group": "x", "org_role": "King"}, format="json")
    assert response.status_code == 400
    assert "org_role" in response.json()["fields"]


@pytest.mark.parametrize("who", ["lead", "staff", "anonymous"])
def test_only_administrators_read_or_edit_the_mappings(who, db):
    mapping = GroupMapping.objects.create(idp_group="g", org_role=OrgRole.EXECUTIVE)
    client = APIClient()
    if who == "lead":
        client.force_authenticate(UserFactory(username="lead", org_roles=[OrgRole.PROGRAM_LEAD]))
    elif who == "staff":
        client.force_authenticate(UserFactory(username="staff", is_staff=True))
    assert client.get(URL).status_code in (401, 403)
    assert client.post(URL, {"idp_group": "h", "org_role": "Executive"}).status_code in (401, 403)
    assert client.delete(f"{URL}{mapping.pk}/").status_code in (401, 403)
    assert GroupMapping.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="identity.").exists()


def test_unknown_ids_are_404(admin_api):
    assert admin_api.delete(f"{URL}99999999999999999999/").status_code == 404
    assert (
        admin_api.put(
            f"{URL}12345/", {"idp_group": "x", "org_role": "Executive"}, format="json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_reads_in_a_fixed_number_of_queries(
    rows, admin_api, django_assert_max_num_queries
):
    for n in range(rows):
        GroupMapping.objects.create(
            idp_group=f"group-{n}", business_unit=BusinessUnitFactory(code=f"u{n}")
        )
    with django_assert_max_num_queries(2):
        response = admin_api.get(URL)
    assert len(response.json()) == rows


# --- The admin ------------------------------------------------------------------


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_the_admin_writes_mappings_through_the_services(admin_client, claims_unit):
    response = admin_client.post(
        reverse("admin:identity_groupmapping_add"),
        {"idp_group": "risk-team", "org_role": OrgRole.RISK_COMPLIANCE, "business_unit": ""},
    )
    assert response.status_code == 302
    mapping = GroupMapping.objects.get(idp_group="risk-team")
    assert AuditEvent.objects.filter(action="identity.mapping_created").count() == 1

    response = admin_client.post(
        reverse("admin:identity_groupmapping_change", args=[mapping.pk]),
        {"idp_group": "risk-team", "org_role": "", "business_unit": claims_unit.pk},
    )
    assert response.status_code == 302
    mapping.refresh_from_db()
    assert mapping.business_unit == claims_unit
    assert AuditEvent.objects.filter(action="identity.mapping_updated").count() == 1

    response = admin_client.post(
        reverse("admin:identity_groupmapping_changelist"),
        {"action": "delete_selected", "_selected_action": [mapping.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not GroupMapping.objects.exists()
    assert AuditEvent.objects.filter(action="identity.mapping_deleted").count() == 1


def test_the_admin_refuses_a_mapping_that_grants_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:identity_groupmapping_add"),
        {"idp_group": "nothing", "org_role": "", "business_unit": ""},
    )
    assert response.status_code == 200
    assert not GroupMapping.objects.exists()


def test_the_admin_is_for_administrators_only(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True))
    assert client.get(reverse("admin:identity_groupmapping_add")).status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"idp_group": "a\x00b", "org_role": OrgRole.EXECUTIVE},
        {"idp_group": "x" * 201, "org_role": OrgRole.EXECUTIVE},
        {"idp_group": "  ", "org_role": OrgRole.EXECUTIVE},
        {"idp_group": "x", "business_unit": 2**70},
        {"idp_group": "x", "business_unit": -1},
        {"idp_group": "x", "business_unit": "claims"},
        {"idp_group": ["x"], "org_role": [OrgRole.EXECUTIVE]},
        [{"idp_group": "x"}],
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(payload, admin_api, claims_unit):
    mapping = GroupMapping.objects.create(idp_group="kept", org_role=OrgRole.EXECUTIVE)
    assert admin_api.post(URL, payload, format="json").status_code == 400
    assert admin_api.put(f"{URL}{mapping.pk}/", payload, format="json").status_code == 400
    assert list(GroupMapping.objects.values_list("idp_group", flat=True)) == ["kept"]
