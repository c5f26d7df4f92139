"""Scorecard items, checklist item definitions and stage norms are edited in
the admin through the framework services: every change, addition and deletion
(one by one or with "delete selected") writes an audit event."""

from __future__ import annotations

import pytest

from core.audit import audit_verify
from core.errors import TransitionRefused
from core.models import AuditEvent
from readiness import services
from readiness.models import ChecklistItemDefinition, ScorecardItem, StageNorm
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def post_data(obj, fields: list[str], **changes) -> dict[str, str]:
    """The change form's POST data as the admin renders it, with changes."""
    data: dict[str, str] = {}
    for name in fields:
        value = changes.get(name, getattr(obj, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def chain_intact() -> bool:
    checked, broken = audit_verify()
    return checked > 0 and broken is None


SCORECARD_FIELDS = ["order", "name", "excellent", "acceptable", "insufficient", "is_active"]


def test_it_audits_a_scorecard_item_change(admin_client, superuser):
    item = ScorecardItem.objects.order_by("order").first()
    old_acceptable = item.acceptable
    data = post_data(item, SCORECARD_FIELDS, acceptable="Meets most needs with workarounds")

    response = admin_client.post(f"/admin/readiness/scorecarditem/{item.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.acceptable == "Meets most needs with workarounds"
    event = AuditEvent.objects.get(action="framework.scorecard_item_changed")
    assert event.actor == superuser
    assert (event.object_type, event.object_id) == ("readiness.scorecarditem", str(item.pk))
    assert event.payload == {
        "before": {"acceptable": old_acceptable},
        "after": {"acceptable": "Meets most needs with workarounds"},
    }
    assert chain_intact()


def test_it_audits_a_change_made_in_the_list(admin_client, superuser):
    items = list(ScorecardItem.objects.order_by("order", "id"))
    data = {
        "form-TOTAL_FORMS": str(len(items)),
        "form-INITIAL_FORMS": str(len(items)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, item in enumerate(items):
        data[f"form-{index}-id"] = str(item.pk)
        if item.is_active and index != 0:
            data[f"form-{index}-is_active"] = "on"

    response = admin_client.post("/admin/readiness/scorecarditem/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not ScorecardItem.objects.get(pk=items[0].pk).is_active
    event = AuditEvent.objects.get(action="framework.scorecard_item_changed")
    assert event.actor == superuser
    assert event.payload == {"before": {"is_active": True}, "after": {"is_active": False}}


def test_it_audits_a_checklist_definition_change(admin_client, superuser):
    definition = ChecklistItemDefinition.objects.order_by("number").first()
    old_text = definition.text
    data = post_data(
        definition, ["number", "group", "text", "is_active"], is_active=False, text="Reworded"
    )

    response = admin_client.post(
        f"/admin/readiness/checklistitemdefinition/{definition.pk}/change/", data
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    definition.refresh_from_db()
    assert (definition.text, definition.is_active) == ("Reworded", False)
    event = AuditEvent.objects.get(action="framework.checklist_item_definition_changed")
    assert event.actor == superuser
    assert event.object_id == str(definition.pk)
    assert event.payload == {
        "before": {"text": old_text, "is_active": True},
        "after": {"text": "Reworded", "is_active": False},
    }
    assert chain_intact()


def test_it_audits_a_stage_norm_change(admin_client, superuser):
    norm = StageNorm.objects.get(stage="poc")
    data = post_data(norm, ["stage", "min_days", "max_days"], max_days=70)

    response = admin_client.post(f"/admin/readiness/stagenorm/{norm.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    norm.refresh_from_db()
    assert norm.max_days == 70
    event = AuditEvent.objects.get(action="framework.stage_norm_changed")
    assert event.actor == superuser
    assert event.payload == {"before": {"max_days": 56}, "after": {"max_days": 70}}
    assert chain_intact()


def test_it_audits_an_added_definition(admin_client, superuser):
    response = admin_client.post(
        "/admin/readiness/checklistitemdefinition/add/",
        {"number": "99", "group": "operations", "text": "On-call rota named", "is_active": "on"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    definition = ChecklistItemDefinition.objects.get(number=99)
    event = AuditEvent.objects.get(action="framework.checklist_item_definition_created")
    assert event.actor == superuser
    assert event.object_id == str(definition.pk)
    assert event.payload == {
        "before": {},
        "after": {
            "number": 99,
            "group": "operations",
            "text": "On-call rota named",
            "is_active": True,
        },
    }


@pytest.mark.parametrize(
    ("model", "url", "entity"),
    [
        (ChecklistItemDefinition, "checklistitemdefinition", "checklist_item_definition"),
        (StageNorm, "stagenorm", "stage_norm"),
        (ScorecardItem, "scorecarditem", "scorecard_item"),
    ],
)
def test_it_audits_each_row_of_a_bulk_delete(admin_client, superuser, model, url, entity):
    rows = list(model.objects.order_by("-pk")[:2])

    response = admin_client.post(
        f"/admin/readiness/{url}/",
        {
            "action": "delete_selected",
            "_selected_action": [str(row.pk) for row in rows],
            "post": "yes",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not model.objects.filter(pk__in=[row.pk for row in rows]).exists()
    events = AuditEvent.objects.filter(action=f"framework.{entity}_deleted").order_by("seq")
    assert sorted(e.object_id for e in events) == sorted(str(row.pk) for row in rows)
    for event in events:
        assert event.actor == superuser
        assert event.payload["after"] == {}
        assert event.payload["before"]
    assert chain_intact()


def test_it_audits_a_single_delete(admin_client, superuser):
    norm = StageNorm.objects.get(stage="production")
    response = admin_client.post(f"/admin/readiness/stagenorm/{norm.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not StageNorm.objects.filter(pk=norm.pk).exists()
    event = AuditEvent.objects.get(action="framework.stage_norm_deleted")
    assert event.payload["before"] == {"stage": "production", "min_days": 28, "max_days": 56}


def test_it_refuses_to_delete_a_definition_in_use(superuser, use_case):
    definition = ChecklistItemDefinition.objects.order_by("number").first()
    use_case.checklist_items.create(definition=definition)
    with pytest.raises(TransitionRefused):
        services.checklist_item_definition_delete(by=superuser, definition=definition)
    assert ChecklistItemDefinition.objects.filter(pk=definition.pk).exists()
    assert not AuditEvent.objects.filter(action__startswith="framework.").exists()
