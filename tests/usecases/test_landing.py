"""Where "/" and the sign-in land: My work for anyone with something to act
on (program leads always); the dashboard for readers of the whole portfolio
(executives, risk and compliance) with nothing in a queue and no use case of
their own. "My work" stays in the navigation for everyone."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gates import services
from tests.gates.helpers import approve_all, isolate, make_submitted_review

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def test_an_executive_with_nothing_to_act_on_lands_on_the_dashboard(client_as, executive):
    client = client_as(executive)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    page = client.get("/dashboard/").content.decode()
    assert 'href="/my-work/"' in page  # My work stays in the navigation


def test_signing_in_as_an_executive_lands_on_the_dashboard(client, executive):
    executive.set_password("exec-pass-123")
    executive.save()
    response = client.post(
        "/accounts/login/", {"username": "exec", "password": "exec-pass-123"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"


def test_the_navigations_my_work_shows_the_queues_to_an_executive(client_as, executive):
    response = client_as(executive).get("/my-work/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Awaiting my decision" in page
    assert "Nothing waits for your approval." in page


def test_a_program_lead_lands_on_my_work_even_with_nothing_waiting(client_as, lead):
    response = client_as(lead).get("/")
    assert response.status_code == 200
    assert "Awaiting my decision" in response.content.decode()


def test_a_sponsor_lands_on_my_work(client_as, sponsor, use_case):
    response = client_as(sponsor).get("/")
    assert response.status_code == 200
    assert "Claims triage assistant" in response.content.decode()


def test_risk_and_compliance_lands_on_my_work_while_a_seat_waits_on_them(
    client_as, lead, sponsor, risk, use_case
):
    client = client_as(risk)
    assert client.get("/")["Location"] == "/dashboard/"
    review = make_submitted_review(use_case, lead, sponsor)
    # The sponsor's seat, decided by Rita as the sponsor's delegate this week.
    today = timezone.localdate()
    services.delegation_create(
        by=sponsor, delegate=risk, starts_on=today, ends_on=today, reason="Leave."
    )
    response = client.get("/")
    assert response.status_code == 200
    assert f'href="/reviews/{review.pk}/"' in response.content.decode()


def test_an_executive_who_owns_a_condition_lands_on_my_work(
    client_as, lead, sponsor, executive, use_case
):
    review = make_submitted_review(use_case, lead, sponsor)
    approve_all(review)
    services.gate_decide(
        review=review,
        by=lead,
        decision="conditional_go",
        rationale="Go, with the budget confirmed.",
        conditions=[
            {
                "description": "Confirm the pilot budget",
                "owner": executive,
                "due_date": timezone.localdate(),
            }
        ],
    )
    response = client_as(executive).get("/")
    assert response.status_code == 200
    assert "Confirm the pilot budget" in response.content.decode()
