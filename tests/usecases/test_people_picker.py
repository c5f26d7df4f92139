"""Naming a person among thousands (usecases.people): each form that names
someone (a checklist item's owner, a sponsor, a delegate, a seat, an
approver, an operating owner) shows a search box and a select of who is
chosen, never everyone; the search box's endpoint answers the same select
with the people it matches; without htmx, a search sent without a choice
comes back with the matches and changes nothing."""

from __future__ import annotations

import re

import pytest
from django.core import signing

from readiness import services
from readiness.models import ChecklistItem
from tests.factories import UserFactory
from usecases.people import PICKER_SALT

pytestmark = pytest.mark.django_db


def people(n: int, *, prefix: str = "Person") -> list:
    return [
        UserFactory(username=f"{prefix.lower()}{i}", first_name=prefix, last_name=f"No{i}")
        for i in range(n)
    ]


def readiness(use_case) -> str:
    return f"/use-cases/{use_case.pk}/readiness/"


def owner_select(html: str, number: int) -> str:
    return re.search(rf'<select name="item{number}-owner".*?</select>', html, re.S).group(0)


def picker_of(html: str, number: int) -> str:
    search = re.search(rf'<input[^>]*id="id_item{number}-owner__search"[^>]*>', html).group(0)
    return re.search(r"hx-vals=\"([^\"]*)\"", search).group(1).replace("&quot;", '"')


@pytest.mark.parametrize("crowd", [5, 60])
def test_the_readiness_page_does_not_grow_with_the_number_of_people(
    client_as, use_case, sponsor, techlead, crowd, django_assert_max_num_queries
):
    people(crowd)
    services.checklist_item_update(
        use_case=use_case, item=3, by=sponsor, status="done", owner=techlead, evidence="Seen."
    )
    client = client_as(sponsor)
    client.get(readiness(use_case))
    with django_assert_max_num_queries(31):
        html = client.get(readiness(use_case)).content.decode()
    # Fifteen items, each a search box and a select of who is chosen only.
    assert html.count('class="person-picker"') == 15
    assert "Person No" not in html
    chosen = owner_select(html, 3)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", chosen) == [
        "— nobody yet —",
        techlead.get_full_name() + f" ({techlead.username})",
    ]
    assert f'value="{techlead.pk}" selected' in chosen
    assert re.findall(r"<option[^>]*>", owner_select(html, 4)) == ['<option value="" selected>']


def test_the_search_box_gets_the_same_select_with_the_people_it_matches(
    client_as, use_case, sponsor, techlead
):
    ann = UserFactory(first_name="Ann", last_name="Lee")
    anna = UserFactory(first_name="Anna", last_name="")
    UserFactory(first_name="Annette", is_active=False)
    UserFactory(first_name="Bob")
    client = client_as(sponsor)
    html = client.get(readiness(use_case)).content.decode()
    vals = picker_of(html, 2)
    picker = re.search(r'"picker": "([^"]+)"', vals).group(1)
    answer = client.get(
        "/people/options/",
        {"picker": picker, "item2-owner__search": "ann", "item2-owner": str(techlead.pk)},
    )
    assert answer.status_code == 200
    select = answer.content.decode()
    assert select.startswith('<select name="item2-owner"') and 'id="id_item2-owner"' in select
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    # The empty choice, who stays chosen, then the two active people matching.
    assert labels[0] == "— nobody yet —"
    assert labels[1].startswith(techlead.get_full_name())
    assert f'value="{techlead.pk}" selected' in select
    assert sorted(labels[2:]) == sorted([f"Ann Lee ({ann.username})", f"Anna ({anna.username})"])
    assert "2 people match “ann”" in select
    assert "Annette" not in select and "Bob" not in select
    # One letter searches nobody.
    short = client.get("/people/options/", {"picker": picker, "item2-owner__search": "a"})
    assert "<optgroup" not in short.content.decode()


def test_a_search_box_that_was_tampered_with_is_refused_in_words(client_as, sponsor, client):
    forged = signing.dumps(
        {"name": "x", "attrs": {"onmouseover": "alert(1)"}, "empty": None}, salt="other"
    )
    answer = client_as(sponsor).get("/people/options/", {"picker": forged})
    assert answer.status_code == 400
    assert answer.content.decode() == "This search box is out of date: reload the page."
    assert client_as(sponsor).get("/people/options/").status_code == 400
    # Signed in only.
    good = signing.dumps({"name": "x", "attrs": {}, "empty": None}, salt=PICKER_SALT)
    assert client.get("/people/options/", {"picker": good}).status_code == 302


def test_without_htmx_a_search_sent_without_a_choice_offers_the_matches_and_saves_nothing(
    client_as, use_case, sponsor
):
    ann = UserFactory(first_name="Ann", last_name="Lee")
    url = f"/use-cases/{use_case.pk}/readiness/checklist/5/"
    client = client_as(sponsor)
    answer = client.post(
        url, {"item5-status": "done", "item5-owner__search": "Ann Lee", "item5-evidence": "x"}
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "Choose one of the people your search matches, or empty the search box." in html
    assert f'<option value="{ann.pk}">Ann Lee ({ann.username})</option>' in owner_select(html, 5)
    assert 'value="Ann Lee"' in html  # the search box keeps what was typed
    assert not ChecklistItem.objects.exists()
    # Choosing one of them saves the item with its owner.
    answer = client.post(
        url,
        {
            "item5-status": "done",
            "item5-owner__search": "Ann Lee",
            "item5-owner": str(ann.pk),
            "item5-evidence": "x",
        },
    )
    assert answer.status_code in (200, 302)
    assert ChecklistItem.objects.get(use_case=use_case, definition__number=5).owner == ann


def test_a_person_who_is_not_active_is_refused(client_as, use_case, sponsor):
    gone = UserFactory(first_name="Gone", is_active=False)
    url = f"/use-cases/{use_case.pk}/readiness/checklist/5/"
    answer = client_as(sponsor).post(url, {"item5-status": "done", "item5-owner": str(gone.pk)})
    assert answer.status_code == 400
    assert "Select a valid choice" in answer.content.decode()
    assert not ChecklistItem.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/use-cases/new/",
        "/delegations/",
        "/use-cases/{pk}/operation/",
    ],
)
def test_the_other_forms_naming_a_person_offer_no_one_before_a_search(
    client_as, lead, use_case, path
):
    people(30)
    html = client_as(lead).get(path.format(pk=use_case.pk)).content.decode()
    assert "Person No" not in html
    if path != "/use-cases/{pk}/operation/":  # shown once the use case is in production
        assert 'class="person-picker"' in html
