"""Gate 1 is submitted only once risk and compliance has decided the risk
classification, and never while it names a prohibited practice; the review
page, My work and the API show the same reason."""

from __future__ import annotations

import pytest

from core.errors import TransitionRefused
from gates import services
from gates.models import ReviewStatus
from tests.factories import UseCaseFactory
from tests.gates.helpers import assess_all, isolate, make_open_review, upload_required
from usecases import risk as questionnaire
from usecases.selectors import RISK_NOT_ANSWERED, RISK_NOT_CONFIRMED, RISK_PROHIBITED
from usecases.services import risk_answer, risk_decide

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def fresh(business_unit, sponsor, techlead):
    return UseCaseFactory(
        title="Fraud flags",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
        risk_classified=False,
    )


def ready_review(use_case, lead, sponsor):
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    return review


def test_it_refuses_gate_1_before_the_questionnaire_is_answered(fresh, lead, sponsor):
    review = ready_review(fresh, lead, sponsor)

    with pytest.raises(TransitionRefused) as refused:
        services.review_submit(review=review, by=sponsor)

    assert refused.value.reasons == [RISK_NOT_ANSWERED]
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_it_refuses_gate_1_until_risk_and_compliance_confirms(fresh, lead, sponsor, risk):
    classification = risk_answer(use_case=fresh, by=sponsor, answers=questionnaire.blank_answers())
    # Decided before the review opens: the review's approvers follow the tier.
    review = ready_review(fresh, lead, sponsor)

    with pytest.raises(TransitionRefused) as refused:
        services.review_submit(review=review, by=sponsor)
    assert refused.value.reasons == [RISK_NOT_CONFIRMED]
    assert services.submission_blockers(review) == [RISK_NOT_CONFIRMED]

    # Same tier as the use case has (medium): no approver fact moves.
    risk_decide(
        classification=classification,
        by=risk,
        tier="medium",
        regulations=[],
        reason="Medium until the pilot data is known.",
    )
    services.review_submit(review=review, by=sponsor)

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


def test_a_prohibited_practice_keeps_gate_1_shut(fresh, lead, sponsor, risk):
    answers = questionnaire.blank_answers() | {"prohibited_practices": ["social_scoring"]}
    classification = risk_answer(use_case=fresh, by=sponsor, answers=answers)
    risk_decide(
        classification=classification,
        by=risk,
        tier="medium",
        regulations=[],
        reason="Recorded; the team rethinks the scoring.",
    )
    review = ready_review(fresh, lead, sponsor)

    with pytest.raises(TransitionRefused) as refused:
        services.review_submit(review=review, by=sponsor)

    assert refused.value.reasons == [RISK_PROHIBITED]
    assert "prohibits" in RISK_PROHIBITED


def test_the_api_shows_the_risk_blocker_on_the_review(api_as, fresh, lead, sponsor):
    review = ready_review(fresh, lead, sponsor)

    body = api_as(sponsor).get(f"/api/v1/reviews/{review.pk}/").json()
    assert body["submission_blockers"] == [RISK_NOT_ANSWERED]

    response = api_as(sponsor).post(f"/api/v1/reviews/{review.pk}/submit/")
    assert response.status_code == 409
    assert response.json()["reasons"] == [RISK_NOT_ANSWERED]


def test_the_review_page_and_my_work_name_it(client_as, fresh, lead, sponsor):
    review = ready_review(fresh, lead, sponsor)

    page = client_as(sponsor).get(review.get_absolute_url()).content.decode()
    assert RISK_NOT_ANSWERED in page.replace("&#x27;", "'")
    home = client_as(sponsor).get("/").content.decode()
    assert RISK_NOT_ANSWERED.split(":")[0] in home.replace("&#x27;", "'")
