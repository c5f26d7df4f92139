from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.usecases.conftest import kill, record_go
from usecases.models import MemberRole, UseCase, UseCaseMember

HTMX = {"HX-Request": "true"}


def test_it_shows_the_header_and_the_facts(client_as, techlead, use_case):
    UseCase.objects.filter(pk=use_case.pk).update(regulatory_constraints=["hipaa", "gdpr"])
    page = client_as(techlead).get(use_case.get_absolute_url()).content.decode()
    assert '<span class="badge badge-discovery">Discovery</span>' in page
    assert '<span class="badge badge-active">Active</span>' in page
    assert "Claims Operations" in page
    assert "Medium risk" in page
    assert '<span class="badge">HIPAA</span>' in page
    assert "Manual triage takes two days per request." in page
    assert "Cut triage time by 60%" in page
    assert "Ticketing system export; CRM." in page
    assert 'id="gate-panel"' in page


def test_it_shows_the_team_with_roles_and_the_unit_head(client_as, techlead, use_case):
    response = client_as(techlead).get(use_case.get_absolute_url())
    team = [(m.user.username, m.role) for m in response.context["team"]]
    assert team == [
        ("sponsor", "sponsor"),
        ("techlead", "technical_lead"),
        ("contrib", "contributor"),
    ]
    page = response.content.decode()
    assert "Bea Head</td>\n            <td>Business unit head" in page


def test_it_shows_the_stage_track_with_each_gate_decision(client_as, lead, use_case):
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    UseCase.objects.filter(pk=use_case.pk).update(created_at=start)
    gate1 = record_go(use_case, gate=1, chair=lead, when=start + timedelta(days=30))
    record_go(use_case, gate=2, chair=lead, when=datetime(2026, 3, 2, 10, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 25, 12, tzinfo=UTC), tick=False):
        response = client_as(lead).get(use_case.get_absolute_url())
    page = response.content.decode()
    assert "In Pilot for 23 days, since 2 Mar 2026" in page
    states = [(step.stage.value, step.state) for step in response.context["track"]]
    assert states == [
        ("discovery", "done"),
        ("poc", "done"),
        ("pilot", "current"),
        ("production", "future"),
        ("scale", "future"),
    ]
    track = page[page.index('<ol class="stage-track"') : page.index("</ol>")]
    assert "entered 5 Jan 2026" in track
    assert f'<a href="{gate1.review.get_absolute_url()}">Gate 1: Go</a>' in track
    assert "by Lena Lead, 4 Feb 2026" in track
    assert "Gate 3" not in track


def test_it_lets_the_sponsor_add_and_remove_a_member_with_htmx(
    client_as, sponsor, outsider, use_case
):
    client = client_as(sponsor)
    add = reverse("usecase-member-add", args=[use_case.pk])
    response = client.post(add, {"user": outsider.pk, "role": "contributor"}, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="team">')
    assert "<td>Otto Outsider</td>" in body
    member = UseCaseMember.objects.get(use_case=use_case, user=outsider)
    remove = reverse("usecase-member-remove", args=[use_case.pk, member.pk])
    response = client.post(remove, headers=HTMX)
    assert "<td>Otto Outsider</td>" not in response.content.decode()
    assert not UseCaseMember.objects.filter(pk=member.pk).exists()


def test_it_changes_the_team_through_plain_posts(client_as, lead, outsider, use_case):
    client = client_as(lead)
    response = client.post(
        reverse("usecase-member-add", args=[use_case.pk]),
        {"user": outsider.pk, "role": "technical_lead"},
    )
    assert response.status_code == 302
    assert response["Location"] == use_case.get_absolute_url() + "#team"
    assert use_case.members.filter(user=outsider, role=MemberRole.TECHNICAL_LEAD).exists()


def test_it_shows_member_form_errors_in_place(client_as, sponsor, use_case):
    response = client_as(sponsor).post(
        reverse("usecase-member-add", args=[use_case.pk]), {"role": "chair"}, headers=HTMX
    )
    body = response.content.decode()
    assert "This field is required." in body
    assert "Select a valid choice. chair is not one of the available choices." in body


def test_it_refuses_to_remove_the_last_sponsor_with_the_reason(client_as, sponsor, use_case):
    member = use_case.members.get(role=MemberRole.SPONSOR)
    url = reverse("usecase-member-remove", args=[use_case.pk, member.pk])
    response = client_as(sponsor).post(url, headers=HTMX)
    assert response["HX-Retarget"] == "#flash"
    assert "A use case needs a sponsor who owns its outcome." in response.content.decode()
    assert UseCaseMember.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize("who", ["techlead", "contributor", "buhead", "executive"])
def test_it_refuses_team_changes_by_anyone_but_a_lead_or_the_sponsor(
    who, request, client_as, outsider, use_case
):
    client = client_as(request.getfixturevalue(who))
    response = client.post(
        reverse("usecase-member-add", args=[use_case.pk]),
        {"user": outsider.pk, "role": "contributor"},
    )
    assert response.status_code == 403
    member = use_case.members.get(role=MemberRole.CONTRIBUTOR)
    remove = reverse("usecase-member-remove", args=[use_case.pk, member.pk])
    assert client.post(remove).status_code == 403
    assert use_case.members.count() == 3


def test_it_refuses_team_changes_on_a_killed_use_case(client_as, lead, outsider, use_case):
    kill(use_case)
    client = client_as(lead)
    add = reverse("usecase-member-add", args=[use_case.pk])
    response = client.post(add, {"user": outsider.pk, "role": "contributor"}, follow=True)
    assert "This use case was killed at a gate; it is read-only." in response.content.decode()
    assert use_case.members.count() == 3


def test_it_answers_404_for_a_member_of_another_use_case(client_as, lead, use_case):
    other = UseCase.objects.create(
        title="Other",
        summary="x",
        business_unit=use_case.business_unit,
        stage_entered_at=timezone.now(),
    )
    member = use_case.members.first()
    url = reverse("usecase-member-remove", args=[other.pk, member.pk])
    assert client_as(lead).post(url).status_code == 404
    assert client_as(lead).get(reverse("usecase-member-add", args=[use_case.pk])).status_code == 405


def test_the_team_form_offers_the_people_a_search_matches_not_everyone(
    client_as, sponsor, outsider, use_case
):
    from tests.factories import UserFactory

    client = client_as(sponsor)
    page = client.get(use_case.get_absolute_url()).content.decode()
    assert 'id="id_user__search"' in page and f'hx-get="{reverse("people-options")}"' in page
    assert f'<option value="{outsider.pk}">' not in page
    assert "Search above, then choose" in page
    options = page.count("<option")
    for n in range(30):
        UserFactory(username=f"colleague{n}", first_name="Col", last_name=f"League {n}")
    assert client.get(use_case.get_absolute_url()).content.decode().count("<option") == options

    picker = re.search(r"&quot;picker&quot;: &quot;([^&]+)&quot;", page).group(1)

    def search(term: str) -> str:
        params = {"picker": picker, "user__search": term}
        return client.get(reverse("people-options"), params).content.decode()

    found = search("otto")
    assert found.startswith('<select name="user"')
    assert f'<option value="{outsider.pk}">Otto Outsider (outsider)</option>' in found
    assert "1 person matches “otto”" in found
    many = search("League")
    assert many.count("<option") == 21  # the prompt and the first 20
    assert "20 people match “League”" in many
    assert "No one else matches “nobody-at-all”" in search("nobody-at-all")
    assert "<optgroup" not in search("o")


def test_without_javascript_a_search_then_a_choice_adds_the_person(
    client_as, lead, outsider, use_case
):
    client = client_as(lead)
    add = reverse("usecase-member-add", args=[use_case.pk])
    searched = client.post(add, {"user__search": "Outsider", "user": "", "role": "contributor"})
    assert searched.status_code == 200
    body = searched.content.decode()
    assert f'<option value="{outsider.pk}">Otto Outsider (outsider)</option>' in body
    assert "Choose one of the people your search matches" in body
    assert not use_case.members.filter(user=outsider).exists()
    chosen = client.post(
        add, {"user__search": "Outsider", "user": outsider.pk, "role": "contributor"}
    )
    assert chosen.status_code == 302
    assert use_case.members.filter(user=outsider, role=MemberRole.CONTRIBUTOR).exists()


@pytest.mark.parametrize("who", ["techlead", "executive"])
def test_only_those_who_may_change_the_team_see_its_form(who, request, client_as, use_case):
    page = client_as(request.getfixturevalue(who)).get(use_case.get_absolute_url())
    assert page.status_code == 200
    assert 'id="id_user__search"' not in page.content.decode()
