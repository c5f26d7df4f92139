"""Proposing and editing a use case in the browser, as plain posts and htmx."""

from __future__ import annotations

from django.urls import reverse

from core.models import AuditEvent
from tests.usecases.conftest import kill
from usecases.models import BusinessUnitMember, MemberRole, Stage, Status, UseCase

CREATE = reverse("usecase-create")
HTMX = {"HX-Request": "true"}


def valid_data(unit, **extra) -> dict:
    return {
        "title": "Invoice matching",
        "summary": "Match supplier invoices to purchase orders.",
        "business_problem": "Clerks match 4,000 invoices a month by hand.",
        "value_hypothesis": "Automatic matching frees two clerks.",
        "quantified_outcome": "Cut matching time by 70%",
        "assumptions": "Invoice formats stay stable.",
        "success_metrics": "Share matched automatically.",
        "data_sources": "ERP purchase orders; scanned invoices.",
        "business_unit": unit.pk,
        **extra,
    }


def test_it_offers_no_stage_or_status_field(client_as, sponsor, use_case):
    for url in (CREATE, reverse("usecase-edit", args=[use_case.pk])):
        response = client_as(sponsor).get(url)
        assert "stage" not in response.context["form"].fields
        assert "status" not in response.context["form"].fields
        assert 'name="stage"' not in response.content.decode()
        # Set by the risk classification, shown as a fact, never a field.
        assert "risk_tier" not in response.context["form"].fields
        assert 'name="regulatory_constraints"' not in response.content.decode()
        assert "set by the risk classification" in response.content.decode()


def test_it_creates_a_use_case_from_a_plain_post(client_as, sponsor, business_unit):
    response = client_as(sponsor).post(CREATE, valid_data(business_unit, stage="scale"))
    use_case = UseCase.objects.get(title="Invoice matching")
    assert response.status_code == 302
    assert response["Location"] == use_case.get_absolute_url()
    assert use_case.stage == Stage.DISCOVERY
    assert use_case.regulatory_constraints == []
    assert use_case.created_by == sponsor
    assert use_case.members.get(role=MemberRole.SPONSOR).user == sponsor
    assert AuditEvent.objects.filter(action="usecase.created", use_case=use_case).exists()


def test_it_redirects_htmx_through_a_client_redirect(client_as, sponsor, business_unit):
    response = client_as(sponsor).post(CREATE, valid_data(business_unit), headers=HTMX)
    use_case = UseCase.objects.get(title="Invoice matching")
    assert response.status_code == 200
    assert response["HX-Redirect"] == use_case.get_absolute_url()


def test_it_shows_field_errors_in_place_for_htmx(client_as, sponsor, business_unit):
    data = valid_data(business_unit, title="", summary="Bad\x00byte")
    data["business_unit"] = "999999"
    response = client_as(sponsor).post(CREATE, data, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<form")
    assert "<html" not in body
    assert 'id="id_title_errors"' in body and "This field is required." in body
    assert "Null characters are not allowed." in body
    assert "Select a valid choice. That choice is not one of the available choices." in body
    assert not UseCase.objects.exists()


def test_it_shows_field_errors_on_the_whole_page_without_htmx(client_as, sponsor, business_unit):
    response = client_as(sponsor).post(CREATE, valid_data(business_unit, business_unit="999"))
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert response.context["form"].errors["business_unit"]


def test_it_lets_a_lead_name_the_sponsor(client_as, lead, sponsor, business_unit):
    response = client_as(lead).post(CREATE, valid_data(business_unit, sponsor=sponsor.pk))
    assert response.status_code == 302
    use_case = UseCase.objects.get(title="Invoice matching")
    assert list(use_case.members.values_list("user", "role")) == [(sponsor.pk, "sponsor")]


def test_it_ignores_a_sponsor_sent_by_someone_who_is_not_a_lead(
    client_as, techlead, sponsor, business_unit
):
    BusinessUnitMember.objects.create(business_unit=business_unit, user=techlead)
    client = client_as(techlead)
    assert "sponsor" not in client.get(CREATE).context["form"].fields
    client.post(CREATE, valid_data(business_unit, sponsor=sponsor.pk))
    use_case = UseCase.objects.get(title="Invoice matching")
    assert use_case.members.get().user == techlead


def test_it_refuses_an_executive_s_post(client_as, executive, business_unit):
    response = client_as(executive).post(CREATE, valid_data(business_unit))
    assert response.status_code == 403
    assert not UseCase.objects.exists()


def test_it_edits_a_use_case_but_never_its_stage_or_status(client_as, sponsor, use_case):
    url = reverse("usecase-edit", args=[use_case.pk])
    data = valid_data(
        use_case.business_unit,
        title="Claims triage v2",
        stage="scale",
        status="killed",
        risk_tier="high",  # raising the risk is an edit; lowering it is a reclassification
    )
    response = client_as(sponsor).post(url, data)
    assert response.status_code == 302
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage v2"
    assert use_case.stage == Stage.DISCOVERY
    assert use_case.status == Status.ACTIVE
    assert AuditEvent.objects.filter(action="usecase.updated", use_case=use_case).count() == 1


def test_it_shows_edit_errors_in_place_for_htmx(client_as, lead, use_case):
    url = reverse("usecase-edit", args=[use_case.pk])
    data = valid_data(use_case.business_unit, title="x" * 201)
    response = client_as(lead).post(url, data, headers=HTMX)
    assert response.content.decode().lstrip().startswith("<form")
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"


def test_it_refuses_a_contributor_s_edit(client_as, contributor, use_case):
    url = reverse("usecase-edit", args=[use_case.pk])
    response = client_as(contributor).post(url, valid_data(use_case.business_unit))
    assert response.status_code == 403
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"


def test_it_shows_a_killed_use_case_as_read_only(client_as, sponsor, lead, use_case):
    kill(use_case)
    url = reverse("usecase-edit", args=[use_case.pk])
    for person in (sponsor, lead):
        client = client_as(person)
        page = client.get(url)
        assert page.status_code == 409
        assert "This use case was killed at a gate; it is read-only." in page.content.decode()
        assert '<form class="card"' not in page.content.decode()
        posted = client.post(url, valid_data(use_case.business_unit))
        assert posted.status_code == 409
        detail = client.get(use_case.get_absolute_url()).content.decode()
        assert f'href="{url}"' not in detail
        assert "Add to team" not in detail
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"
