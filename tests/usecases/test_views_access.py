"""The permission ladder of every portfolio page: anonymous, outsider, each
role on the use case, the business unit head, executive and program lead."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UseCaseFactory

PAGES = ["home", "portfolio", "usecase-create"]
USE_CASE_PAGES = ["usecase-detail", "usecase-edit"]


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(db, name):
    url = reverse(name)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("name", USE_CASE_PAGES)
def test_it_sends_anonymous_visitors_to_login_from_a_use_case(use_case, name):
    response = Client().get(reverse(name, args=[use_case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", [*USE_CASE_PAGES, "usecase-member-add"])
def test_it_answers_404_to_someone_the_use_case_is_not_shared_with(
    use_case, outsider, client_as, name
):
    client = client_as(outsider)
    method = client.post if name == "usecase-member-add" else client.get
    response = method(reverse(name, args=[use_case.pk]))
    assert response.status_code == 404
    assert "Claims triage assistant" not in response.content.decode()


def test_it_answers_404_for_an_unknown_use_case(lead, client_as):
    assert client_as(lead).get(reverse("usecase-detail", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "who", ["sponsor", "techlead", "contributor", "buhead", "executive", "lead"]
)
def test_it_shows_the_use_case_to_everyone_with_a_reason_to_see_it(
    use_case, who, request, client_as
):
    response = client_as(request.getfixturevalue(who)).get(use_case.get_absolute_url())
    assert response.status_code == 200
    assert "Claims triage assistant" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "can_edit"),
    [
        ("sponsor", True),
        ("lead", True),
        ("techlead", False),
        ("contributor", False),
        ("buhead", False),
        ("executive", False),
    ],
)
def test_it_opens_the_edit_page_to_leads_and_the_sponsor_only(
    use_case, who, can_edit, request, client_as
):
    client = client_as(request.getfixturevalue(who))
    edit_url = reverse("usecase-edit", args=[use_case.pk])
    assert client.get(edit_url).status_code == (200 if can_edit else 403)
    detail = client.get(use_case.get_absolute_url()).content.decode()
    assert (f'href="{edit_url}"' in detail) is can_edit
    assert ("Add to team" in detail) is can_edit


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("executive", False), ("outsider", False), ("sponsor", True), ("lead", True)],
)
def test_it_lets_those_with_a_role_in_a_unit_propose_a_use_case(
    who, allowed, request, client_as, business_unit
):
    """Sam works in Claims Operations; Otto holds no role in any unit; the
    executive proposes nothing."""
    client = client_as(request.getfixturevalue(who))
    assert client.get(reverse("usecase-create")).status_code == (200 if allowed else 403)
    assert ("Propose a use case" in client.get(reverse("portfolio")).content.decode()) is allowed


def test_it_lists_only_visible_use_cases_in_the_portfolio(use_case, client_as, outsider, buhead):
    other = UseCaseFactory(title="Fraud scoring")
    outsider_page = client_as(outsider).get(reverse("portfolio")).content.decode()
    assert "Claims triage assistant" not in outsider_page
    assert "Fraud scoring" not in outsider_page
    head_page = client_as(buhead).get(reverse("portfolio")).content.decode()
    assert "Claims triage assistant" in head_page
    assert other.title not in head_page


def test_it_shows_executives_and_leads_the_whole_portfolio(use_case, client_as, executive, lead):
    UseCaseFactory(title="Fraud scoring")
    for person in (executive, lead):
        page = client_as(person).get(reverse("portfolio")).content.decode()
        assert "Claims triage assistant" in page and "Fraud scoring" in page
