"""Naming several people (usecases.people.PeopleField): the approvers a
program lead names when opening a review are found by a search; whoever is
already chosen stays chosen when the search changes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gates.models import GateReview
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_approvers_of_a_new_review_are_found_by_a_search_and_stay_chosen(
    client_as, lead, techlead, use_case
):
    for n in range(25):
        UserFactory(username=f"colleague{n}", first_name="Col", last_name=f"League {n}")
    ada = UserFactory(username="ada", first_name="Ada", last_name="Approver")
    client = client_as(lead)
    page = client.get(f"/use-cases/{use_case.pk}/open-review/").content.decode()
    select = re.search(r'<select name="role_sponsor".*?</select>', page, re.S).group(0)
    assert " multiple" in select and 'size="4"' in select
    assert "<option" not in select  # nobody chosen, nobody listed
    assert "League" not in page
    picker = re.search(
        r'id="id_role_sponsor__search"[^>]*&quot;picker&quot;: &quot;([^&]+)&quot;', page
    ).group(1)
    answer = client.get(
        reverse("people-options"),
        {"picker": picker, "role_sponsor__search": "ada", "role_sponsor": [str(techlead.pk)]},
    ).content.decode()
    assert answer.startswith('<select name="role_sponsor"') and " multiple" in answer
    assert f'value="{techlead.pk}" selected' in answer  # chosen before the search
    assert f'<option value="{ada.pk}">Ada Approver (ada)</option>' in answer

    opened = client.post(
        f"/use-cases/{use_case.pk}/open-review/",
        {"role_sponsor": [techlead.pk, ada.pk], "role_sponsor__search": "ada"},
    )
    assert opened.status_code == 302
    review = GateReview.objects.get(use_case=use_case)
    assert {"techlead", "ada"} <= set(review.approvers.values_list("user__username", flat=True))


def test_a_search_for_approvers_sent_without_a_choice_names_nobody(client_as, lead, use_case):
    UserFactory(username="ada", first_name="Ada", last_name="Approver")
    answer = client_as(lead).post(
        f"/use-cases/{use_case.pk}/open-review/", {"role_sponsor__search": "ada"}
    )
    assert answer.status_code in (200, 400)
    body = answer.content.decode()
    assert "Choose one of the people your search matches, or empty the search box." in body
    assert "Ada Approver (ada)" in body
    assert not GateReview.objects.exists()
