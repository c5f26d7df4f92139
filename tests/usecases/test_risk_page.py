"""The risk classification page: the questionnaire for the team, the
proposal and its reasoning, the decision form for risk and compliance only,
the history; the use case page links to it with the current state."""

from __future__ import annotations

import pytest

from tests.factories import UseCaseFactory
from usecases import risk as questionnaire
from usecases.models import RiskClassificationStatus
from usecases.services import risk_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(business_unit, sponsor, techlead):
    return UseCaseFactory(
        title="Hiring screen",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
        risk_classified=False,
    )


def url(use_case) -> str:
    return f"/use-cases/{use_case.pk}/risk/"


def form_answers(**changes) -> dict:
    data = {"action": "answer"}
    for question in questionnaire.QUESTIONS:
        if question.kind == questionnaire.YES_NO:
            data[question.code] = "no"
    data.update(changes)
    return data


def test_the_use_case_page_links_to_it_with_its_state(client_as, fresh, sponsor, risk):
    page = client_as(sponsor).get(fresh.get_absolute_url()).content.decode()
    assert f'href="{url(fresh)}"' in page
    assert "Not classified" in page

    risk_answer(use_case=fresh, by=sponsor, answers=risk_blank())
    page = client_as(sponsor).get(fresh.get_absolute_url()).content.decode()
    assert "Awaiting risk and compliance" in page


def risk_blank():
    return questionnaire.blank_answers()


def test_the_sponsor_answers_in_the_browser(client_as, fresh, sponsor):
    client = client_as(sponsor)
    page = client.get(url(fresh)).content.decode()
    assert "The questionnaire" in page
    assert "High-risk areas (EU AI Act, Annex III" in page

    response = client.post(
        url(fresh),
        form_answers(annex_iii_areas=["employment"], personal_data="yes"),
    )

    assert response.status_code == 302
    row = fresh.risk_classifications.get()
    assert row.proposed_tier == "high"
    assert row.answers["annex_iii_areas"] == ["employment"]
    page = client.get(url(fresh)).content.decode()
    assert "employment and workers" in page.lower()
    assert "Awaiting risk and compliance" in page
    assert "Confirm or override" not in page


def test_a_missing_answer_is_shown_and_nothing_is_recorded(client_as, fresh, sponsor):
    data = form_answers()
    del data["phi"]

    response = client_as(sponsor).post(url(fresh), data)

    assert response.status_code == 400
    assert "Please answer the questions marked below." in response.content.decode()
    assert not fresh.risk_classifications.exists()


def test_risk_and_compliance_overrides_with_a_reason(client_as, fresh, sponsor, risk):
    risk_answer(use_case=fresh, by=sponsor, answers=risk_blank() | {"phi": True})
    client = client_as(risk)
    page = client.get(url(fresh)).content.decode()
    assert "Confirm or override" in page
    assert "HIPAA applies" in page
    assert "The questionnaire" not in page and "Answer again" not in page

    refused = client.post(
        url(fresh), {"action": "decide", "decision": "override", "tier": "high", "reason": ""}
    )
    assert refused.status_code == 400
    assert "An override needs a reason" in refused.content.decode()

    response = client.post(
        url(fresh),
        {
            "action": "decide",
            "decision": "override",
            "tier": "high",
            "regulations": ["hipaa", "gdpr"],
            "reason": "Patients are named in the notes.",
        },
    )

    assert response.status_code == 302
    row = fresh.risk_classifications.get()
    assert row.status == RiskClassificationStatus.OVERRIDDEN
    fresh.refresh_from_db()
    assert fresh.risk_tier == "high"
    page = client_as(sponsor).get(url(fresh)).content.decode()
    assert "Patients are named in the notes." in page
    assert "High (overridden by Rita Risk)" in page


def test_others_may_not_decide_in_the_browser(client_as, fresh, sponsor, lead):
    risk_answer(use_case=fresh, by=sponsor, answers=risk_blank())

    response = client_as(lead).post(url(fresh), {"action": "decide", "decision": "confirm"})

    assert response.status_code == 403
    assert fresh.risk_classifications.get().status == RiskClassificationStatus.PROPOSED


def test_an_outsider_gets_a_404(client_as, fresh, outsider):
    assert client_as(outsider).get(url(fresh)).status_code == 404


def test_a_risk_officer_cannot_answer(client_as, fresh, risk):
    response = client_as(risk).post(url(fresh), form_answers())

    assert response.status_code == 403
    assert not fresh.risk_classifications.exists()


def test_a_killed_use_case_takes_no_answers(client_as, fresh, sponsor):
    from tests.usecases.conftest import kill

    kill(fresh)

    response = client_as(sponsor).post(url(fresh), form_answers())

    assert response.status_code == 409
    assert "killed at a gate; it is read-only" in response.content.decode()
    assert not fresh.risk_classifications.exists()
