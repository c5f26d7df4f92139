"""Custom fields: administrators define them (audited); each kind reads its
values from text and from typed input with a clear message for bad input;
the use case's services set them, audited with the use case's changes."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused
from core.models import AuditEvent
from tests.usecases.custom_field_helpers import (
    CHANNELS,
    REGIONS,
    administrator,
    define,
    define_the_usual,
)
from usecases import custom_fields
from usecases.models import CustomField, Stage, UseCase
from usecases.services import (
    custom_field_change,
    custom_field_create,
    custom_field_deactivate,
    usecase_create,
    usecase_update,
)

pytestmark = pytest.mark.django_db


# --- Definitions ------------------------------------------------------------------------


def test_it_lets_an_administrator_define_a_field_and_audits_it():
    field = define("data_owner", "Data owner", "person", required_from=Stage.POC)

    assert field.pk and field.active
    event = AuditEvent.objects.get(action="custom_field.created")
    assert event.payload["after"]["key"] == "data_owner"
    assert event.payload["after"]["required_from_stage"] == "poc"


def test_it_refuses_anyone_but_an_administrator(lead):
    with pytest.raises(PermissionRefused):
        custom_field_create(by=lead, field=CustomField(key="x", label="X", kind="text"))
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(
    ("attrs", "field", "message"),
    [
        ({"key": "Data Owner"}, "key", "lower-case letters"),
        ({"key": "data__owner"}, "key", "single underscores"),
        ({"label": ""}, "label", "required"),
        ({"kind": "colour"}, "kind", "must be one of"),
        ({"kind": "choice"}, "choices", "at least one choice"),
        ({"choices": ["A"]}, "choices", "Only choice fields"),
        ({"kind": "choice", "choices": ["A", "a"]}, "choices", "listed twice"),
        ({"kind": "choice", "choices": ["A;B"]}, "choices", "may not contain"),
        ({"required_from_stage": "gate9"}, "required_from_stage", "must be one of"),
    ],
)
def test_it_refuses_a_bad_definition_with_a_clear_message(attrs, field, message):
    values = {"key": "cost_centre", "label": "Cost centre", "kind": "text", **attrs}
    with pytest.raises(InvalidInput) as refused:
        custom_field_create(by=administrator(), field=CustomField(**values))
    assert refused.value.field == field
    assert message in refused.value.message
    assert not CustomField.objects.exists()


def test_it_refuses_a_key_twice():
    define("cost_centre", "Cost centre", "text")
    with pytest.raises(InvalidInput, match="already has the key"):
        define("cost_centre", "Cost center", "text")


def test_it_changes_a_field_but_never_its_key_or_kind():
    admin = administrator()
    field = define("region", "Region", "choice", choices=REGIONS)
    field.label = "Deployment region"
    custom_field_change(by=admin, field=field, fields=["label"])
    field.refresh_from_db()
    assert field.label == "Deployment region"
    event = AuditEvent.objects.get(action="custom_field.changed")
    assert event.payload == {"before": {"label": "Region"}, "after": {"label": "Deployment region"}}

    field.kind = "text"
    with pytest.raises(InvalidInput, match="never change"):
        custom_field_change(by=admin, field=field, fields=["kind"])


def test_it_keeps_a_choice_that_use_cases_still_hold(use_case, sponsor):
    admin = administrator()
    field = define("region", "Region", "choice", choices=REGIONS)
    usecase_update(use_case=use_case, by=sponsor, custom_values={"region": "US East"})

    field.choices = ["EU (Frankfurt)", "EU (Dublin)"]
    with pytest.raises(InvalidInput, match="US East"):
        custom_field_change(by=admin, field=field, fields=["choices"])

    field.choices = ["EU (Frankfurt)", "US East"]
    custom_field_change(by=admin, field=field, fields=["choices"])
    field.refresh_from_db()
    assert field.choices == ["EU (Frankfurt)", "US East"]


def test_deactivating_hides_the_field_and_keeps_the_values(use_case, sponsor):
    field = define("cost_centre", "Cost centre", "text")
    usecase_update(use_case=use_case, by=sponsor, custom_values={"cost_centre": "CC-1"})

    custom_field_deactivate(by=administrator(), field=field)

    assert custom_fields.active_fields() == []
    use_case.refresh_from_db()
    assert use_case.custom_values == {"cost_centre": "CC-1"}
    assert AuditEvent.objects.filter(action="custom_field.deactivated").count() == 1


# --- Values from text (forms, CSV and XLSX cells) ---------------------------------------------


def test_parse_value_reads_every_kind_from_text(sponsor):
    fields = define_the_usual()
    sponsor.first_name, sponsor.last_name = "Sam", "Okafor"
    sponsor.save()

    assert custom_fields.parse_value(fields["cost_centre"], "  CC-204 ") == "CC-204"
    assert custom_fields.parse_value(fields["budget"], "1,250") == 1250
    assert custom_fields.parse_value(fields["budget"], "12.5") == 12.5
    assert custom_fields.parse_value(fields["go_live"], "2026-03-31") == "2026-03-31"
    assert custom_fields.parse_value(fields["region"], "us east") == "US East"
    assert custom_fields.parse_value(fields["channels"], "Phone; web") == ["Web", "Phone"]
    assert custom_fields.parse_value(fields["data_owner"], sponsor.username) == sponsor.pk
    assert (
        custom_fields.parse_value(fields["data_owner"], f"Sam Okafor ({sponsor.username})")
        == sponsor.pk
    )
    assert custom_fields.parse_value(fields["budget"], "  ") is None


def test_format_value_writes_what_parse_value_reads_back(sponsor):
    fields = define_the_usual()
    values = {
        "cost_centre": "CC-204",
        "budget": 12.5,
        "go_live": "2026-03-31",
        "region": "EU (Dublin)",
        "channels": ["Web", "Branch"],
        "data_owner": sponsor.pk,
    }
    for key, value in values.items():
        text = custom_fields.format_value(fields[key], value)
        assert custom_fields.parse_value(fields[key], text) == value
    assert custom_fields.format_value(fields["channels"], ["Web", "Branch"]) == "Web; Branch"
    assert custom_fields.format_value(fields["budget"], None) == ""


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("budget", "a lot", "Budget must be a number, for example 1250 or 12.5"),
        ("budget", "1e20", "Budget must be a number"),
        ("go_live", "31/03/2026", "Go-live date must be a date written YYYY-MM-DD"),
        ("go_live", "2026-02-30", "Go-live date must be a date written YYYY-MM-DD"),
        ("region", "Mars", "Deployment region: “Mars” is not a choice. Choose from: EU"),
        ("channels", "Web; Fax", "Channels: “Fax” is not a choice"),
        ("data_owner", "nobody-here", "Data owner: no active user is called “nobody-here”"),
        ("cost_centre", "x" * 501, "Cost centre is longer than 500 characters"),
    ],
)
def test_parse_value_refuses_bad_text_with_a_clear_message(key, raw, message):
    fields = define_the_usual()
    with pytest.raises(InvalidInput) as refused:
        custom_fields.parse_value(fields[key], raw)
    assert message in refused.value.message
    assert refused.value.field == f"custom_fields.{key}"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("budget", "12", "Budget must be a number"),
        ("budget", True, "Budget must be a number"),
        ("go_live", 20260331, "Go-live date must be a date"),
        ("region", ["US East"], "is not a choice"),
        ("channels", "Web", "takes a list of choices"),
        ("data_owner", "sam", "Data owner takes a user id"),
        ("data_owner", 987654, "no active user has the id 987654"),
        ("cost_centre", 5, "Cost centre must be a text"),
        ("cost_centre", "a\x00b", "control characters"),
    ],
)
def test_clean_value_refuses_mistyped_input(key, value, message):
    fields = define_the_usual()
    with pytest.raises(InvalidInput) as refused:
        custom_fields.clean_value(fields[key], value)
    assert message in refused.value.message


# --- Values through the use case's services ---------------------------------------------


def test_it_sets_values_on_create_and_edit_and_audits_them(lead, business_unit, sponsor):
    define_the_usual()
    use_case = usecase_create(
        by=lead,
        title="Claims triage",
        summary="Route claims.",
        business_unit=business_unit,
        sponsor=sponsor,
        custom_values={"region": "US East", "channels": ["Phone", "Web"]},
    )
    assert use_case.custom_values == {"region": "US East", "channels": ["Web", "Phone"]}
    created = AuditEvent.objects.get(action="usecase.created", use_case=use_case)
    assert created.payload["custom_values"] == use_case.custom_values

    usecase_update(
        use_case=use_case,
        by=sponsor,
        custom_values={"budget": 1250, "region": None, "data_owner": sponsor.pk},
    )
    use_case.refresh_from_db()
    # Keys not sent keep their values; None clears.
    assert use_case.custom_values == {
        "channels": ["Web", "Phone"],
        "budget": 1250,
        "data_owner": sponsor.pk,
    }
    event = AuditEvent.objects.filter(action="usecase.updated", use_case=use_case).get()
    assert event.payload["before"]["custom_values"] == {
        "budget": None,
        "data_owner": None,
        "region": "US East",
    }
    assert event.payload["after"]["custom_values"] == {
        "budget": 1250,
        "data_owner": sponsor.pk,
        "region": None,
    }
    assert "budget" in event.summary and "region" in event.summary


def test_it_refuses_an_unknown_or_inactive_key_and_changes_nothing(use_case, sponsor):
    field = define("cost_centre", "Cost centre", "text")
    custom_field_deactivate(by=administrator(), field=field)

    with pytest.raises(InvalidInput) as refused:
        usecase_update(use_case=use_case, by=sponsor, custom_values={"cost_centre": "CC-1"})
    assert refused.value.field == "custom_fields.cost_centre"
    assert UseCase.objects.get(pk=use_case.pk).custom_values == {}


def test_it_never_clears_a_value_required_from_a_stage_already_reached(use_case, sponsor):
    define("data_owner", "Data owner", "person", required_from=Stage.POC)
    usecase_update(use_case=use_case, by=sponsor, custom_values={"data_owner": sponsor.pk})
    # In Discovery it may still be cleared: Gate 1 has not been passed.
    usecase_update(use_case=use_case, by=sponsor, custom_values={"data_owner": None})
    usecase_update(use_case=use_case, by=sponsor, custom_values={"data_owner": sponsor.pk})
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.PILOT)

    with pytest.raises(InvalidInput) as refused:
        usecase_update(use_case=use_case, by=sponsor, custom_values={"data_owner": ""})

    assert "Custom field “Data owner” is required from POC on" in refused.value.message
    assert UseCase.objects.get(pk=use_case.pk).custom_values == {"data_owner": sponsor.pk}


def test_a_choice_field_lists_its_options_in_order():
    field = define("channels", "Channels", "multi_choice", choices=CHANNELS)
    assert custom_fields.clean_value(field, ["Branch", "Web", "Web"]) == ["Web", "Branch"]
