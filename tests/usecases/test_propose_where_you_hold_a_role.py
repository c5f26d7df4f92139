"""A use case is proposed only in a business unit where its proposer holds a
role (head, member, or on the team of one of its use cases), or by a program
lead; in the browser and the API alike, and a move to another unit follows
the same rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.audit import audit_verify
from core.models import AuditEvent
from tests.factories import BusinessUnitFactory, UseCaseFactory
from usecases.models import BusinessUnitMember, UseCase

LIST = "/api/v1/use-cases/"
UNITS = "/api/v1/business-units/"


@pytest.fixture
def finance(db):
    return BusinessUnitFactory(name="Finance", code="finance")


def proposal(unit):
    return {"title": "Invoice matching", "summary": "Match invoices.", "business_unit": unit.pk}


# --- The API -------------------------------------------------------------------------


def test_a_member_proposes_in_their_unit_and_not_in_another(
    api_as, sponsor, business_unit, finance
):
    client = api_as(sponsor)

    refused = client.post(LIST, proposal(finance), format="json")

    assert refused.status_code == 403
    body = refused.json()
    assert body["detail"].startswith("You hold no role in Finance")
    assert body["reasons"] == ["You may propose use cases in: Claims Operations."]
    assert not UseCase.objects.exists()

    created = client.post(LIST, proposal(business_unit), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["business_unit"]["name"] == "Claims Operations"


def test_someone_with_no_role_anywhere_is_told_how_to_get_one(api_as, outsider, finance):
    response = api_as(outsider).post(LIST, proposal(finance), format="json")

    assert response.status_code == 403
    assert "where you hold a role" in response.json()["detail"]
    assert "a program lead or an administrator adds you" in response.json()["reasons"][0]
    assert not UseCase.objects.exists()


def test_the_head_and_the_team_of_a_unit_s_use_case_propose_there(
    api_as, buhead, techlead, use_case, finance
):
    # Bea heads Claims Operations; Tara is the technical lead of a Claims use case.
    for person in (buhead, techlead):
        response = api_as(person).post(
            LIST, {**proposal(use_case.business_unit), "title": f"By {person}"}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert api_as(person).post(LIST, proposal(finance), format="json").status_code == 403


def test_a_program_lead_proposes_anywhere(api_as, lead, finance):
    assert api_as(lead).post(LIST, proposal(finance), format="json").status_code == 201


def test_the_unit_list_says_where_the_caller_may_propose(
    api_as, sponsor, lead, business_unit, finance
):
    def flags(user):
        return {unit["code"]: unit["can_propose"] for unit in api_as(user).get(UNITS).json()}

    assert flags(sponsor) == {"claims": True, "finance": False}
    assert flags(lead) == {"claims": True, "finance": True}


def test_a_sponsor_may_not_move_a_use_case_to_a_unit_where_they_hold_no_role(
    api_as, sponsor, lead, use_case, finance
):
    url = f"{LIST}{use_case.pk}/"

    refused = api_as(sponsor).patch(url, {"business_unit": finance.pk}, format="json")

    assert refused.status_code == 403
    assert "You hold no role in Finance" in refused.json()["detail"]
    use_case.refresh_from_db()
    assert use_case.business_unit.code == "claims"
    assert api_as(lead).patch(url, {"business_unit": finance.pk}, format="json").status_code == 200


# --- The browser ----------------------------------------------------------------------


def test_the_form_offers_only_the_units_where_one_holds_a_role(
    client_as, sponsor, business_unit, finance
):
    client = client_as(sponsor)
    form = client.get(reverse("usecase-create")).context["form"]
    assert [unit.code for unit in form.fields["business_unit"].queryset] == ["claims"]

    response = client.post(reverse("usecase-create"), proposal(finance))

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors["business_unit"])
    assert not UseCase.objects.exists()


def test_someone_with_no_role_sees_no_propose_button_and_a_reason(client_as, outsider, finance):
    client = client_as(outsider)

    assert "Propose a use case" not in client.get(reverse("portfolio")).content.decode()
    response = client.get(reverse("usecase-create"))
    assert response.status_code == 403
    assert "where you hold a role" in response.content.decode()


# --- Who works in a unit ----------------------------------------------------------------


def test_a_program_lead_adds_and_removes_members_and_both_are_audited(
    api_as, lead, outsider, finance
):
    members = f"{UNITS}{finance.pk}/members/"
    client = api_as(lead)

    added = client.post(members, {"username": outsider.username}, format="json")

    assert added.status_code == 201, added.json()
    assert client.get(members).json() == [added.json()]
    assert api_as(outsider).post(LIST, proposal(finance), format="json").status_code == 201
    assert client.post(members, {"username": outsider.username}, format="json").status_code == 409

    removed = client.delete(f"{members}{added.json()['id']}/")

    assert removed.status_code == 204
    assert not BusinessUnitMember.objects.filter(user=outsider).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="framework.business_unit_member")
        .order_by("seq")
        .values_list("action", "actor__username", "payload")
    )
    assert actions == [
        ("framework.business_unit_member_added", "lead", {"user": "outsider"}),
        ("framework.business_unit_member_removed", "lead", {"user": "outsider"}),
    ]
    checked, broken = audit_verify()
    assert broken is None


def test_only_program_leads_and_administrators_change_members(
    api_as, sponsor, buhead, outsider, finance
):
    members = f"{UNITS}{finance.pk}/members/"
    for person in (sponsor, buhead):
        response = api_as(person).post(members, {"username": outsider.username}, format="json")
        assert response.status_code == 403
        assert "Only program leads and administrators" in response.json()["detail"]
    assert not BusinessUnitMember.objects.filter(business_unit=finance).exists()
    assert not AuditEvent.objects.filter(action__startswith="framework.business_unit").exists()


def test_bad_member_requests_say_why(api_as, lead, sponsor, business_unit, finance):
    client = api_as(lead)
    unknown = client.post(f"{UNITS}{finance.pk}/members/", {"username": "nobody"}, format="json")
    assert unknown.status_code == 400
    assert "No active user is called “nobody”" in str(unknown.json())

    # Sam's membership belongs to Claims, not Finance.
    membership = BusinessUnitMember.objects.get(user=sponsor, business_unit=business_unit)
    wrong_unit = client.delete(f"{UNITS}{finance.pk}/members/{membership.pk}/")
    assert wrong_unit.status_code == 404
    assert client.get(f"{UNITS}999999/members/").status_code == 404
    assert BusinessUnitMember.objects.filter(pk=membership.pk).exists()


def test_membership_grants_no_sight_of_the_unit_s_use_cases(api_as, sponsor, business_unit):
    # Working in a unit lets one propose there; it does not open its portfolio.
    other = UseCaseFactory(business_unit=business_unit, title="Fraud scoring")
    listed = [row["title"] for row in api_as(sponsor).get(LIST).json()["results"]]
    assert other.title not in listed
