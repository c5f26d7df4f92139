"""Framework edits in the admin go through the framework services: every
saved change writes an audit event with the values before and after, and one
save of a gate template is one new version, however many rows it changed."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms import MultiWidget
from django.forms.models import model_to_dict
from django.test import RequestFactory
from knox.models import AuthToken

from core.audit import audit_verify
from core.errors import PermissionRefused
from core.models import AuditEvent
from gates import services
from gates.models import GateApproverRole, GateCriterion, GateTemplate
from identity.services import group_mapping_create
from tests.factories import BusinessUnitFactory, UserFactory
from tests.gates.test_views_admin import inline_data
from tests.usecases.custom_field_helpers import define
from usecases.models import OrgRole


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def change_url(template: GateTemplate) -> str:
    return f"/admin/gates/gatetemplate/{template.pk}/change/"


def chain_intact() -> bool:
    checked, broken = audit_verify()
    return checked > 0 and broken is None


def test_it_audits_a_template_and_a_criterion_changed_in_one_save(admin_client, superuser):
    template = GateTemplate.objects.get(number=1)
    criterion = template.criteria.order_by("order", "id").first()
    old_requirement = criterion.requirement
    data = inline_data(template)
    data["name"] = "Gate 1: Discovery to proof of concept"
    data["criteria-0-requirement"] = "Quantified outcome signed off by the CFO"

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    criterion.refresh_from_db()
    assert template.name == "Gate 1: Discovery to proof of concept"
    assert criterion.requirement == "Quantified outcome signed off by the CFO"
    assert template.version == 2
    changed = AuditEvent.objects.get(action="framework.gate_template_changed")
    assert changed.actor == superuser
    assert changed.object_id == str(template.pk)
    assert changed.payload == {
        "before": {"name": "Gate 1: Discovery to POC", "version": 1},
        "after": {"name": "Gate 1: Discovery to proof of concept", "version": 2},
    }
    row = AuditEvent.objects.get(action="framework.gate_criterion_changed")
    assert row.actor == superuser
    assert row.object_type == "gates.gatecriterion"
    assert row.object_id == str(criterion.pk)
    assert row.payload == {
        "before": {"requirement": old_requirement},
        "after": {"requirement": "Quantified outcome signed off by the CFO"},
        "template_version": 2,
    }
    assert chain_intact()


def test_it_bumps_the_version_once_for_several_rows(admin_client):
    template = GateTemplate.objects.get(number=2)
    data = inline_data(template)
    data["criteria-0-must_meet"] = ""
    data["criteria-1-name"] = "Data quality and lineage"
    data["artifact_types-0-required"] = ""

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    assert template.version == 2
    assert AuditEvent.objects.filter(action="framework.gate_template_changed").count() == 1
    assert AuditEvent.objects.filter(action="framework.gate_criterion_changed").count() == 2
    artifact_event = AuditEvent.objects.get(action="framework.artifact_type_changed")
    assert artifact_event.payload["before"] == {"required": True}
    assert artifact_event.payload["after"] == {"required": False}
    # Only the template's version moved: its own fields did not change.
    assert AuditEvent.objects.get(action="framework.gate_template_changed").payload == {
        "before": {"version": 1},
        "after": {"version": 2},
    }
    assert chain_intact()


def test_it_adds_and_deletes_an_approver_role(admin_client, superuser):
    template = GateTemplate.objects.get(number=1)
    data = inline_data(template)
    index = int(data["approver_roles-TOTAL_FORMS"])
    data["approver_roles-TOTAL_FORMS"] = str(index + 1)
    data.update(
        {
            f"approver_roles-{index}-template": str(template.pk),
            f"approver_roles-{index}-order": "9",
            f"approver_roles-{index}-role": "risk_compliance",
            f"approver_roles-{index}-condition": "if_applicable",
        }
    )

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    role = GateApproverRole.objects.get(template=template, role="risk_compliance")
    template.refresh_from_db()
    assert template.version == 2
    created = AuditEvent.objects.get(action="framework.gate_approver_role_created")
    assert created.actor == superuser
    assert created.object_id == str(role.pk)
    assert created.payload == {
        "before": {},
        "after": {
            "template": template.pk,
            "order": 9,
            "role": "risk_compliance",
            "condition": "if_applicable",
        },
        "template_version": 2,
    }

    data = inline_data(template)
    index = [r.pk for r in template.approver_roles.all()].index(role.pk)
    data[f"approver_roles-{index}-DELETE"] = "on"
    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not GateApproverRole.objects.filter(pk=role.pk).exists()
    template.refresh_from_db()
    assert template.version == 3
    deleted = AuditEvent.objects.get(action="framework.gate_approver_role_deleted")
    assert deleted.actor == superuser
    assert deleted.object_id == str(role.pk)
    assert deleted.payload["before"] == created.payload["after"]
    assert deleted.payload["after"] == {}
    assert deleted.seq > created.seq
    assert chain_intact()


def test_it_writes_nothing_when_nothing_changed(admin_client):
    template = GateTemplate.objects.get(number=3)
    assert admin_client.get(change_url(template)).status_code == 200
    response = admin_client.post(change_url(template), inline_data(template))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.version == 1
    assert not AuditEvent.objects.filter(action__startswith="framework.").exists()


def test_it_bumps_the_version_when_a_row_changes_on_its_own(superuser):
    criterion = GateCriterion.objects.filter(template__number=4).first()
    criterion.name = "Renamed"
    services.gate_criterion_change(by=superuser, criterion=criterion, fields=["name"])
    assert GateTemplate.objects.get(number=4).version == 2
    event = AuditEvent.objects.get(action="framework.gate_criterion_changed")
    assert event.payload["template_version"] == 2


def test_it_refuses_someone_without_the_admin_permission(db):
    outsider = UserFactory(username="outsider")
    criterion = GateCriterion.objects.filter(template__number=1).first()
    criterion.name = "Renamed"
    with pytest.raises(PermissionRefused):
        services.gate_criterion_change(by=outsider, criterion=criterion, fields=["name"])
    assert GateCriterion.objects.get(pk=criterion.pk).name != "Renamed"
    assert GateTemplate.objects.get(number=1).version == 1
    assert not AuditEvent.objects.exists()


# --- Every registered admin that writes, writes an audit event ----------------

# What each editable admin changes in the registry walk below. An admin that
# starts allowing writes fails the walk until it is listed here, with its
# writes going through a service.
CHANGES = {
    "auth.group": lambda obj, other: {"name": "Renamed group", "members": [other.pk]},
    "auth.user": lambda obj, other: {
        "first_name": "Renamed",
        "groups": [Group.objects.get(name=OrgRole.RISK_COMPLIANCE).pk],
    },
    "gates.gatetemplate": lambda obj, other: {"name": "Renamed gate"},
    "gates.control": lambda obj, other: {"title": "Renamed control"},
    "gates.decommissioningstep": lambda obj, other: {"text": "Reworded step"},
    "gates.exitreason": lambda obj, other: {"label": "Reworded reason"},
    "readiness.scorecarditem": lambda obj, other: {"name": "Renamed scorecard item"},
    "readiness.checklistitemdefinition": lambda obj, other: {"text": "Reworded item"},
    "readiness.stagenorm": lambda obj, other: {"max_days": obj.max_days + 7},
    "usecases.businessunit": lambda obj, other: {"head": other.pk},
    "usecases.usecase": lambda obj, other: {"title": "Retitled use case"},
    "value.costmultiplier": lambda obj, other: {"high": obj.high + 1},
    "usecases.customfield": lambda obj, other: {"label": "Renamed field"},
    "identity.groupmapping": lambda obj, other: {"idp_group": "renamed-group"},
}

# Deleting these keeps the row, switched off (a custom field's values stay with
# the use cases): the attribute that says so.
DEACTIVATED_BY_DELETE = {"usecases.customfield": "active"}

# What an add form needs beyond the values of the row the walk deleted.
ADD_DATA = {
    "auth.user": {"usable_password": "false"},
    # The deactivated field keeps its key: the one added back needs another.
    "usecases.customfield": {"key": "walked_again", "active": True},
}


def form_data(form) -> dict:
    """What the admin's form would post back unchanged."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        data.update(widget_data(field, name, value))
        if field.show_hidden_initial:
            # A field with a callable default posts its initial value too,
            # and the form compares with that.
            data.update(widget_data(field, form[name].html_initial_name, value))
    return data


def widget_data(field, name: str, value) -> dict:
    if isinstance(field.widget, MultiWidget):
        # A split date and time posts as name_0 and name_1.
        return {
            f"{name}_{index}": part for index, part in enumerate(field.widget.decompress(value))
        }
    return {name: value}


def row(obj) -> dict:
    """A lookup of ``obj``'s row by its primary key column."""
    field = obj._meta.pk
    return {field.attname: field.value_from_object(obj)}


def bound_form(model_admin, request, obj, changes: dict):
    form_class = model_admin.get_form(request, obj, change=obj is not None)
    data = form_data(form_class(instance=obj))
    data.update(changes)
    form = form_class(data, instance=obj)
    assert form.is_valid(), form.errors
    return form


def save(model_admin, request, form, *, change: bool) -> None:
    """What the admin's change form and list do with a valid form."""
    obj = model_admin.save_form(request, form, change=change)
    model_admin.save_model(request, obj, form, change)
    model_admin.save_related(request, form, [], change)


def test_it_audits_every_write_any_registered_admin_allows(superuser, use_case, outsider):
    # Rows nobody depends on, last of their kind, for the walk to change,
    # delete and add back.
    BusinessUnitFactory(name="Unused unit", code="unused")
    Group.objects.create(name="Unused group")
    UserFactory(username="unused")
    # API tokens and sign-in attempts are listed, and revoked or unlocked
    # only by admin actions through the services: the walk finds no write.
    AuthToken.objects.create(user=outsider)
    define("walked", "Walked field", "text")
    group_mapping_create(by=superuser, idp_group="walked-group", org_role=OrgRole.EXECUTIVE)
    request = RequestFactory().post("/admin/")
    request.user = superuser
    walked = set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        obj = model._default_manager.order_by("-pk").first()
        allows = {
            "add": model_admin.has_add_permission(request),
            "change": obj is not None and model_admin.has_change_permission(request, obj),
            "delete": obj is not None and model_admin.has_delete_permission(request, obj),
        }
        if not any(allows.values()):
            continue
        walked.add(label)
        assert label in CHANGES, f"{label}: its admin writes; list what to change in CHANGES"

        if allows["change"]:
            form = bound_form(model_admin, request, obj, CHANGES[label](obj, outsider))
            last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
            save(model_admin, request, form, change=True)
            event = AuditEvent.objects.filter(seq__gt=last or 0).get(object_id=str(obj.pk))
            assert event.actor == superuser, label
            assert event.object_type == label
            assert set(event.payload["after"]) >= set(CHANGES[label](obj, outsider)), label

        if allows["delete"]:
            obj = model._default_manager.get(**row(obj))
            values = model_to_dict(obj)
            model_admin.delete_model(request, obj)
            event = AuditEvent.objects.order_by("-seq").first()
            if label in DEACTIVATED_BY_DELETE:
                kept = model._default_manager.get(**row(obj))
                assert getattr(kept, DEACTIVATED_BY_DELETE[label]) is False, label
                assert event.action.endswith(("_deactivated", ".deactivated")), label
            else:
                assert not model._default_manager.filter(**row(obj)).exists(), label
                assert event.action.endswith(("_deleted", ".deleted")), label
            assert (event.actor, event.object_id) == (superuser, str(obj.pk))
            if allows["add"]:
                # Put it back through the add form.
                values.pop("id", None)
                values.update(ADD_DATA.get(label, {}))
                form = bound_form(model_admin, request, None, values)
                save(model_admin, request, form, change=False)
                event = AuditEvent.objects.order_by("-seq").first()
                assert event.action.endswith(("_created", ".created")), label
                assert event.object_id == str(form.instance.pk), label
        elif allows["add"]:
            pytest.fail(f"{label}: adds but does not delete; give the walk a way to add one")

    assert walked == set(CHANGES)
    assert chain_intact()


# --- Decommissioning steps ----------------------------------------------------------


def test_an_administrator_rewords_a_decommissioning_step_through_the_admin(admin_client):
    from gates.models import DecommissioningStep

    step = DecommissioningStep.objects.order_by("order").first()
    response = admin_client.post(
        f"/admin/gates/decommissioningstep/{step.pk}/change/",
        {"order": step.order, "text": "Archive the model and its data", "is_active": "on"},
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.text == "Archive the model and its data"
    event = AuditEvent.objects.get(action="framework.decommissioning_step_changed")
    assert event.payload["after"] == {"text": "Archive the model and its data"}


def test_only_an_administrator_changes_a_decommissioning_step(outsider):
    from gates.models import DecommissioningStep

    step = DecommissioningStep.objects.order_by("order").first()
    step.text = "Changed"
    with pytest.raises(PermissionRefused):
        services.decommissioning_step_change(by=outsider, step=step, fields=["text"])
    assert DecommissioningStep.objects.get(pk=step.pk).text != "Changed"
