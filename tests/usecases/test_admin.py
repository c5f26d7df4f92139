from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import UserFactory
from tests.usecases.conftest import kill
from usecases.models import BusinessUnit, MemberRole, Stage, UseCase, UseCaseMember


@pytest.fixture
def superuser(db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    return user


def change_data(use_case, **extra) -> dict:
    members = list(use_case.members.order_by("id"))
    data = {
        "title": use_case.title,
        "summary": use_case.summary,
        "business_problem": use_case.business_problem,
        "value_hypothesis": use_case.value_hypothesis,
        "quantified_outcome": use_case.quantified_outcome,
        "assumptions": use_case.assumptions,
        "success_metrics": use_case.success_metrics,
        "data_sources": use_case.data_sources,
        "risk_tier": use_case.risk_tier,
        "business_unit": use_case.business_unit_id,
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for index, member in enumerate(members):
        data[f"members-{index}-id"] = str(member.pk)
        data[f"members-{index}-use_case"] = str(use_case.pk)
    data.update(extra)
    return data


def test_it_registers_every_model_of_the_app():
    for model in (BusinessUnit, UseCase, UseCaseMember):
        assert admin.site.is_registered(model)


def test_it_shows_stage_and_status_read_only(client_as, superuser, use_case):
    url = reverse("admin:usecases_usecase_change", args=[use_case.pk])
    response = client_as(superuser).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="stage"' not in page and 'name="status"' not in page
    assert "Discovery" in page
    # Set by the risk classification: shown, not editable.
    assert 'name="regulatory_constraints"' not in page and 'name="risk_tier"' not in page


def test_it_edits_through_the_service_and_ignores_a_posted_stage(client_as, superuser, use_case):
    url = reverse("admin:usecases_usecase_change", args=[use_case.pk])
    data = change_data(use_case, title="Edited in admin", stage="scale", status="killed")
    response = client_as(superuser).post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    use_case.refresh_from_db()
    assert use_case.title == "Edited in admin"
    assert use_case.stage == Stage.DISCOVERY
    event = AuditEvent.objects.get(action="usecase.updated")
    assert event.actor == superuser


def test_it_adds_and_removes_members_through_the_services(client_as, superuser, use_case, outsider):
    url = reverse("admin:usecases_usecase_change", args=[use_case.pk])
    contributor = use_case.members.get(role=MemberRole.CONTRIBUTOR)
    data = change_data(use_case)
    index = [m.pk for m in use_case.members.order_by("id")].index(contributor.pk)
    data[f"members-{index}-DELETE"] = "on"
    data["members-TOTAL_FORMS"] = "4"
    data.update({"members-3-user": str(outsider.pk), "members-3-role": "technical_lead"})
    response = client_as(superuser).post(url, data)
    assert response.status_code == 302
    assert not UseCaseMember.objects.filter(pk=contributor.pk).exists()
    assert use_case.members.filter(user=outsider, role=MemberRole.TECHNICAL_LEAD).exists()
    assert AuditEvent.objects.filter(action="usecase.member_added").count() == 1
    assert AuditEvent.objects.filter(action="usecase.member_removed").count() == 1


def test_it_keeps_killed_use_cases_read_only_and_none_deletable(client_as, superuser, use_case):
    kill(use_case)
    client = client_as(superuser)
    url = reverse("admin:usecases_usecase_change", args=[use_case.pk])
    response = client.post(url, change_data(use_case, title="Edited"))
    assert response.status_code == 403
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"
    assert client.get(reverse("admin:usecases_usecase_add")).status_code == 403
    assert (
        client.get(reverse("admin:usecases_usecase_delete", args=[use_case.pk])).status_code == 403
    )


def test_it_lists_members_read_only(client_as, superuser, use_case):
    client = client_as(superuser)
    assert client.get(reverse("admin:usecases_usecasemember_changelist")).status_code == 200
    member = use_case.members.first()
    page = client.get(reverse("admin:usecases_usecasemember_change", args=[member.pk]))
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    assert client.get(reverse("admin:usecases_businessunit_changelist")).status_code == 200
