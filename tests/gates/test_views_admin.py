"""The gate engine's admin: templates are edited (and versioned), everything a
review records is read-only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin

from core.models import AuditEvent
from gates import services
from gates.models import GateTemplate
from tests.factories import UserFactory
from tests.gates.helpers import isolate, pass_gate


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def inline_data(template: GateTemplate) -> dict[str, Any]:
    """The change form's POST data as the admin renders it."""
    data = {
        "name": template.name,
        "purpose": template.purpose,
        "min_approvers": str(template.min_approvers),
    }
    if template.enforce_scorecard_bands:
        data["enforce_scorecard_bands"] = "on"
    for prefix, rows, fields in (
        (
            "criteria",
            template.criteria.all(),
            ["order", "name", "requirement", "must_meet", "applies_when", "controls"],
        ),
        (
            "artifact_types",
            template.artifact_types.all(),
            [
                "order",
                "code",
                "name",
                "required",
                "is_active",
                "validity_months",
                "applies_when",
                "controls",
            ],
        ),
        ("approver_roles", template.approver_roles.all(), ["order", "role", "condition"]),
    ):
        rows = list(rows)
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = str(row.pk)
            data[f"{prefix}-{i}-template"] = str(template.pk)
            for field in fields:
                value = getattr(row, field)
                if isinstance(value, bool):
                    if value:
                        data[f"{prefix}-{i}-{field}"] = "on"
                elif field == "applies_when":
                    # A callable default: the admin renders the initial value hidden too.
                    data[f"{prefix}-{i}-{field}"] = json.dumps(value)
                    data[f"initial-{prefix}-{i}-{field}"] = json.dumps(value)
                elif field == "controls":
                    data[f"{prefix}-{i}-{field}"] = [str(c.pk) for c in value.all()]
                else:
                    data[f"{prefix}-{i}-{field}"] = "" if value is None else str(value)
    return data


def test_it_registers_every_gate_model():
    for model in apps.get_app_config("gates").get_models():
        assert admin.site.is_registered(model), model.__name__


def test_it_bumps_the_version_when_a_criterion_changes(admin_client, use_case, lead):
    template = GateTemplate.objects.get(number=1)
    review = services.review_open(use_case=use_case, by=lead)
    data = inline_data(template)
    data["criteria-0-requirement"] = "Quantified outcome signed off by the CFO"
    response = admin_client.post(f"/admin/gates/gatetemplate/{template.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    assert template.version == 2
    # The open review keeps its version and its snapshot of the criterion.
    review.refresh_from_db()
    assert review.template_version == 1
    assert review.criteria.order_by("order").first().requirement == (
        "Quantified outcome with executive sign-off on the assumption"
    )
    assert (
        "template is now at version 2"
        in admin_client.get(f"/reviews/{review.pk}/").content.decode()
    )


def test_it_keeps_the_version_when_nothing_changed(admin_client):
    template = GateTemplate.objects.get(number=2)
    response = admin_client.post(
        f"/admin/gates/gatetemplate/{template.pk}/change/", inline_data(template)
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.version == 1


def test_it_never_lets_the_admin_delete_or_add_a_gate(admin_client):
    template = GateTemplate.objects.get(number=1)
    assert admin_client.get("/admin/gates/gatetemplate/add/").status_code == 403
    assert admin_client.get(f"/admin/gates/gatetemplate/{template.pk}/delete/").status_code == 403


def test_it_shows_a_review_read_only(admin_client, use_case, lead, sponsor):
    review = pass_gate(use_case, lead, sponsor)
    page = admin_client.get(f"/admin/gates/gatereview/{review.pk}/change/")
    assert page.status_code == 200
    assert 'name="decision"' not in page.content.decode()
    response = admin_client.post(
        f"/admin/gates/gatereview/{review.pk}/change/", {"decision": "kill", "status": "decided"}
    )
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.decision == "go"
    assert admin_client.get("/admin/gates/gatereview/add/").status_code == 403


def test_it_never_changes_or_deletes_the_audit_trail(admin_client, use_case, lead):
    services.review_open(use_case=use_case, by=lead)
    event = AuditEvent.objects.first()
    assert admin_client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/core/auditevent/add/").status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "artifact",
        "stagetransition",
        "reviewapprover",
        "reviewcriterion",
        "gatecondition",
        "gatereview",
    ],
)
def test_it_lists_the_records_but_never_adds_them(admin_client, use_case, lead, sponsor, model):
    pass_gate(use_case, lead, sponsor)
    assert admin_client.get(f"/admin/gates/{model}/").status_code == 200
    assert admin_client.get(f"/admin/gates/{model}/add/").status_code == 403
