"""An administrator edits a criterion's applicability rule and cited
controls on its gate, and the controls themselves: each change goes through
the framework services (audited, one new version of the gate per save); a
rule that could never hold is refused next to the field and changes nothing."""

from __future__ import annotations

import json

import pytest

from core.errors import InvalidInput, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Control, GateCriterion, GateTemplate
from tests.factories import UserFactory
from tests.gates.test_views_admin import inline_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def change_url(template: GateTemplate) -> str:
    return f"/admin/gates/gatetemplate/{template.pk}/change/"


def index_of(template: GateTemplate, name: str) -> int:
    return [c.name for c in template.criteria.all()].index(name)


def test_it_saves_an_applicability_rule_and_controls_as_one_audited_version(
    admin_client, superuser
):
    template = GateTemplate.objects.get(number=3)
    criterion = template.criteria.get(name="Change management")
    i = index_of(template, "Change management")
    art13 = Control.objects.get(framework="eu_ai_act", reference="Art. 13")
    data = inline_data(template)
    data[f"criteria-{i}-applies_when"] = json.dumps({"risk_tiers": ["medium", "high"]})
    data[f"criteria-{i}-controls"] = [str(art13.pk)]

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    criterion.refresh_from_db()
    template.refresh_from_db()
    assert criterion.applies_when == {"risk_tiers": ["medium", "high"]}
    assert list(criterion.controls.all()) == [art13]
    assert template.version == 2
    events = AuditEvent.objects.filter(
        action="framework.gate_criterion_changed", object_id=str(criterion.pk)
    ).order_by("seq")
    assert [e.payload for e in events] == [
        {
            "before": {"applies_when": {}},
            "after": {"applies_when": {"risk_tiers": ["medium", "high"]}},
            "template_version": 2,
        },
        {
            "before": {"controls": []},
            "after": {"controls": [art13.pk]},
            "template_version": 2,
        },
    ]
    assert all(e.actor == superuser for e in events)


def test_it_refuses_a_rule_that_could_never_hold_next_to_the_field(admin_client):
    template = GateTemplate.objects.get(number=3)
    i = index_of(template, "Change management")
    data = inline_data(template)
    data[f"criteria-{i}-applies_when"] = json.dumps({"regulations": ["eu-ai-act"], "tier": 1})

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown keys: tier. Use risk_tiers, regulations, answers." in html
    assert "Unknown regulation codes in “regulations”: eu-ai-act." in html
    template.refresh_from_db()
    assert template.version == 1
    assert GateCriterion.objects.get(template=template, name="Change management").applies_when == {}
    assert not AuditEvent.objects.exists()


def test_the_services_refuse_an_invalid_rule_too(superuser):
    criterion = GateCriterion.objects.get(template__number=3, name="Change management")
    criterion.applies_when = {"risk_tiers": ["extreme"]}

    with pytest.raises(InvalidInput) as caught:
        services.gate_criterion_change(by=superuser, criterion=criterion, fields=["applies_when"])

    assert caught.value.field == "applies_when"
    assert "Unknown risk tiers in “risk_tiers”: extreme." in caught.value.message
    assert GateCriterion.objects.get(pk=criterion.pk).applies_when == {}
    assert not AuditEvent.objects.exists()


def test_an_administrator_edits_a_control_through_the_audited_service(admin_client, superuser):
    control = Control.objects.get(framework="iso_42001", reference="A.7")

    response = admin_client.post(
        f"/admin/gates/control/{control.pk}/change/",
        {
            "framework": "iso_42001",
            "reference": "A.7",
            "title": "Data for AI systems (Annex A)",
            "description": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    control.refresh_from_db()
    assert control.title == "Data for AI systems (Annex A)"
    event = AuditEvent.objects.get(action="framework.control_changed")
    assert event.actor == superuser
    assert event.payload == {
        "before": {"title": "Data for AI systems"},
        "after": {"title": "Data for AI systems (Annex A)"},
    }


def test_a_control_reviews_cite_is_not_deleted(superuser, lead, eu_high):
    services.review_open(use_case=eu_high, by=lead)
    control = Control.objects.get(framework="eu_ai_act", reference="Art. 14")

    with pytest.raises(TransitionRefused) as caught:
        services.control_delete(by=superuser, control=control)

    assert caught.value.reasons == ["Gate reviews cite it as evidence of their criteria."]
    assert Control.objects.filter(pk=control.pk).exists()
