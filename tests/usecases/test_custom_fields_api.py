"""Custom fields in the API: the definitions (administrators write them), the
typed list on every use case, written through create and PATCH with errors
named ``custom_fields.<key>``, the ``cf_<key>`` filters, fixed query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from tests.factories import UseCaseFactory
from tests.usecases.custom_field_helpers import REGIONS, administrator, define_the_usual
from usecases.models import CustomField, UseCase
from usecases.services import usecase_update

pytestmark = pytest.mark.django_db

LIST = "/api/v1/use-cases/"
FIELDS = "/api/v1/custom-fields/"


def detail(use_case) -> str:
    return f"/api/v1/use-cases/{use_case.pk}/"


# --- Definitions -------------------------------------------------------------------------


def test_anyone_signed_in_reads_the_active_definitions(api_as, outsider):
    fields = define_the_usual()
    fields["budget"].active = False
    fields["budget"].save()

    body = api_as(outsider).get(FIELDS).json()

    assert [row["key"] for row in body] == [
        "data_owner",
        "cost_centre",
        "go_live",
        "region",
        "channels",
    ]
    region = body[3]
    assert region == {
        "id": fields["region"].pk,
        "key": "region",
        "label": "Deployment region",
        "help_text": "",
        "kind": "choice",
        "choices": REGIONS,
        "required_from_stage": None,
        "active": True,
        "order": 5,
    }


def test_only_administrators_write_definitions(api_as, lead, outsider):
    payload = {"key": "cost_centre", "label": "Cost centre", "kind": "text"}
    for person in (lead, outsider):
        assert api_as(person).post(FIELDS, payload, format="json").status_code == 403
    assert not CustomField.objects.exists()

    admin = api_as(administrator())
    created = admin.post(
        FIELDS,
        {**payload, "required_from_stage": "poc", "help_text": "Who pays."},
        format="json",
    )
    assert created.status_code == 201, created.json()
    field_id = created.json()["id"]
    assert created.json()["required_from_stage"] == "poc"

    changed = admin.put(f"{FIELDS}{field_id}/", {"label": "Cost center"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["label"] == "Cost center"
    refused = admin.put(f"{FIELDS}{field_id}/", {"kind": "number"}, format="json")
    assert refused.status_code == 400
    assert "kind" in refused.json()["fields"]

    assert api_as(lead).delete(f"{FIELDS}{field_id}/").status_code == 403
    gone = admin.delete(f"{FIELDS}{field_id}/")
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert list(
        AuditEvent.objects.filter(action__startswith="custom_field.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["custom_field.created", "custom_field.changed", "custom_field.deactivated"]


def test_a_bad_definition_is_a_400_naming_the_field(api_as):
    response = api_as(administrator()).post(
        FIELDS, {"key": "Region!", "label": "Region", "kind": "choice"}, format="json"
    )
    assert response.status_code == 400
    assert "key" in response.json()["fields"]


# --- Values on use cases ------------------------------------------------------------------


def test_a_use_case_lists_every_active_field_with_a_typed_value(
    api_as, use_case, sponsor, techlead
):
    define_the_usual()
    usecase_update(
        use_case=use_case,
        by=sponsor,
        custom_values={
            "data_owner": techlead.pk,
            "budget": 12.5,
            "go_live": "2026-03-31",
            "channels": ["Web", "Phone"],
        },
    )

    body = api_as(sponsor).get(detail(use_case)).json()

    assert body["custom_fields"] == [
        {"key": "data_owner", "label": "Data owner", "kind": "person", "value": techlead.pk},
        {"key": "cost_centre", "label": "Cost centre", "kind": "text", "value": None},
        {"key": "budget", "label": "Budget", "kind": "number", "value": 12.5},
        {"key": "go_live", "label": "Go-live date", "kind": "date", "value": "2026-03-31"},
        {"key": "region", "label": "Deployment region", "kind": "choice", "value": None},
        {"key": "channels", "label": "Channels", "kind": "multi_choice", "value": ["Web", "Phone"]},
    ]


def test_create_and_patch_write_the_values(api_as, lead, sponsor, business_unit, techlead):
    define_the_usual()
    created = api_as(lead).post(
        LIST,
        {
            "title": "Claims triage",
            "summary": "Route claims.",
            "business_unit": business_unit.pk,
            "custom_fields": [
                {"key": "region", "value": "EU (Dublin)"},
                {"key": "budget", "value": 1250},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    use_case = UseCase.objects.get(pk=created.json()["id"])
    assert use_case.custom_values == {"region": "EU (Dublin)", "budget": 1250}

    patched = api_as(lead).patch(
        detail(use_case),
        {
            "custom_fields": [
                {"key": "region", "value": None},
                {"key": "data_owner", "value": techlead.pk},
            ]
        },
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    use_case.refresh_from_db()
    assert use_case.custom_values == {"budget": 1250, "data_owner": techlead.pk}


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"key": "budget", "value": "lots"}, "custom_fields.budget", "must be a number"),
        ({"key": "go_live", "value": "31.03.2026"}, "custom_fields.go_live", "YYYY-MM-DD"),
        ({"key": "region", "value": "Mars"}, "custom_fields.region", "not a choice"),
        ({"key": "channels", "value": ["Fax"]}, "custom_fields.channels", "not a choice"),
        ({"key": "data_owner", "value": 2**40}, "custom_fields.data_owner", "no active user"),
        ({"key": "colour", "value": "red"}, "custom_fields.colour", "No active custom field"),
        ({"key": "region", "value": {"a": 1}}, "custom_fields.0.value", "text, a number"),
        # A partial update skips what it is not sent, nested fields too: a row
        # without its value or its key is still refused, not a server error.
        ({"key": "region"}, "custom_fields.0.value", "required"),
        ({"value": "EU (Dublin)"}, "custom_fields.0.key", "required"),
    ],
)
def test_a_bad_value_is_a_400_named_after_the_field(
    api_as, use_case, sponsor, sent, field, message
):
    define_the_usual()

    response = api_as(sponsor).patch(detail(use_case), {"custom_fields": [sent]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert field in body["fields"], body
    assert message in " ".join(body["fields"][field])
    assert UseCase.objects.get(pk=use_case.pk).custom_values == {}


def test_the_list_filters_on_custom_fields(api_as, lead, business_unit):
    define_the_usual()
    dublin = UseCaseFactory(business_unit=business_unit, title="Dublin")
    phone = UseCaseFactory(business_unit=business_unit, title="Phone")
    usecase_update(use_case=dublin, by=lead, custom_values={"region": "EU (Dublin)"})
    usecase_update(
        use_case=phone,
        by=lead,
        custom_values={"channels": ["Phone", "Web"], "data_owner": lead.pk, "cost_centre": "CC-77"},
    )
    client = api_as(lead)

    def titles(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return [row["title"] for row in response.json()["results"]]

    assert titles(cf_region="EU (Dublin)") == ["Dublin"]
    assert titles(cf_channels="Web") == ["Phone"]
    assert titles(cf_data_owner=lead.pk) == ["Phone"]
    assert titles(cf_cost_centre="cc-7") == ["Phone"]
    assert client.get(LIST, {"cf_region": "Mars"}).status_code == 400


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params or {}).status_code == 200
    return len(context.captured_queries)


def test_the_list_reads_in_a_fixed_number_of_queries(
    api_as, lead, business_unit, django_assert_max_num_queries
):
    define_the_usual()
    client = api_as(lead)

    def grow(count):
        for _ in range(count):
            use_case = UseCaseFactory(business_unit=business_unit)
            usecase_update(
                use_case=use_case,
                by=lead,
                custom_values={"region": "US East", "data_owner": lead.pk},
            )

    grow(3)
    small = _count(client, LIST, {"page_size": 100, "cf_region": "US East"})
    grow(20)
    with django_assert_max_num_queries(13):
        large = _count(client, LIST, {"page_size": 100, "cf_region": "US East"})
    assert small == large
