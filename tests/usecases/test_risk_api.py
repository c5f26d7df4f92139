"""The risk classification API: the questionnaire, a use case's versions,
new answers, and the decision; typed in the schema; notifications to risk
and compliance and to the team, never the actor."""

from __future__ import annotations

import pytest

from notifications.models import Kind, Notification
from tests.factories import UseCaseFactory, UserFactory
from usecases import risk as questionnaire
from usecases.models import OrgRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(business_unit, sponsor, techlead):
    return UseCaseFactory(
        title="Benefits eligibility screening",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
        risk_classified=False,
    )


def eligibility_answers():
    return questionnaire.blank_answers() | {
        "annex_iii_areas": ["essential_services"],
        "automated_decisions": True,
        "personal_data": True,
    }


def test_it_lists_the_questionnaire(api_as, sponsor):
    response = api_as(sponsor).get("/api/v1/risk/questionnaire/")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == questionnaire.QUESTIONNAIRE_VERSION
    codes = [q["code"] for q in body["questions"]]
    assert codes == [q.code for q in questionnaire.QUESTIONS]
    areas = next(q for q in body["questions"] if q["code"] == "annex_iii_areas")
    assert areas["kind"] == "choices"
    assert {"code": "employment", "label": questionnaire.ANNEX_III_AREAS[3][1]} in areas["options"]


def test_the_sponsor_answers_and_risk_and_compliance_hears_of_it(
    api_as, fresh, sponsor, risk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(sponsor).post(
            f"/api/v1/use-cases/{fresh.pk}/risk/",
            {"answers": eligibility_answers()},
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1
    assert body["status"] == "proposed"
    assert body["tier"] is None and body["decided_by"] is None
    assert body["proposed_tier"] == "high"
    assert body["proposed_regulations"] == ["eu_ai_act", "gdpr"]
    assert body["answered_by"]["username"] == "sponsor"
    assert len(body["reasoning"]) == 3
    notes = Notification.objects.filter(kind=Kind.RISK_CLASSIFICATION_PROPOSED)
    assert [n.recipient.username for n in notes] == ["risk"]
    assert "Benefits eligibility screening" in notes[0].subject


def test_it_refuses_unknown_question_codes_with_a_field_error(api_as, fresh, sponsor):
    response = api_as(sponsor).post(
        f"/api/v1/use-cases/{fresh.pk}/risk/",
        {"answers": eligibility_answers() | {"horoscope": True}},
        format="json",
    )

    assert response.status_code == 400
    assert "horoscope" in str(response.json())
    assert not fresh.risk_classifications.exists()


def test_it_refuses_a_missing_answer(api_as, fresh, sponsor):
    answers = eligibility_answers()
    del answers["phi"]

    response = api_as(sponsor).post(
        f"/api/v1/use-cases/{fresh.pk}/risk/", {"answers": answers}, format="json"
    )

    assert response.status_code == 400
    assert "phi" in str(response.json())


def test_an_outsider_cannot_see_or_answer(api_as, fresh, outsider):
    client = api_as(outsider)

    assert client.get(f"/api/v1/use-cases/{fresh.pk}/risk/").status_code == 404
    response = client.post(
        f"/api/v1/use-cases/{fresh.pk}/risk/", {"answers": eligibility_answers()}, format="json"
    )
    assert response.status_code == 404


def test_risk_overrides_with_a_reason_and_the_team_hears_of_it(
    api_as, fresh, sponsor, techlead, risk, django_capture_on_commit_callbacks
):
    created = api_as(sponsor).post(
        f"/api/v1/use-cases/{fresh.pk}/risk/", {"answers": eligibility_answers()}, format="json"
    )
    pk = created.json()["id"]

    refused = api_as(risk).post(
        f"/api/v1/risk-classifications/{pk}/decision/",
        {"tier": "medium", "regulations": ["gdpr"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"]["reason"]

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(risk).post(
            f"/api/v1/risk-classifications/{pk}/decision/",
            {"tier": "medium", "regulations": ["gdpr"], "reason": "A caseworker decides."},
            format="json",
        )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["tier"], body["regulations"]) == ("overridden", "medium", ["gdpr"])
    assert body["decided_by"]["username"] == "risk"
    detail = api_as(sponsor).get(f"/api/v1/use-cases/{fresh.pk}/").json()
    assert (detail["risk_tier"], detail["regulatory_constraints"]) == ("medium", ["gdpr"])
    notes = Notification.objects.filter(kind=Kind.RISK_CLASSIFICATION_DECIDED)
    assert sorted(n.recipient.username for n in notes) == ["sponsor", "techlead"]
    assert "A caseworker decides." in notes[0].body


def test_the_sponsor_may_not_decide(api_as, fresh, sponsor):
    pk = (
        api_as(sponsor)
        .post(
            f"/api/v1/use-cases/{fresh.pk}/risk/",
            {"answers": eligibility_answers()},
            format="json",
        )
        .json()["id"]
    )

    response = api_as(sponsor).post(
        f"/api/v1/risk-classifications/{pk}/decision/", {"confirm": True}, format="json"
    )

    assert response.status_code == 403
    assert "risk and compliance" in response.json()["detail"]


def test_a_second_decision_is_a_conflict(api_as, fresh, sponsor, risk):
    pk = (
        api_as(sponsor)
        .post(
            f"/api/v1/use-cases/{fresh.pk}/risk/",
            {"answers": eligibility_answers()},
            format="json",
        )
        .json()["id"]
    )
    assert (
        api_as(risk)
        .post(f"/api/v1/risk-classifications/{pk}/decision/", {"confirm": True}, format="json")
        .status_code
        == 200
    )

    again = api_as(risk).post(
        f"/api/v1/risk-classifications/{pk}/decision/", {"confirm": True}, format="json"
    )

    assert again.status_code == 409
    assert again.json()["detail"] == "This risk classification is already decided."


def test_the_officer_who_answered_as_a_program_lead_is_not_notified(
    api_as, fresh, risk, django_capture_on_commit_callbacks
):
    both = UserFactory(username="dual", org_roles=[OrgRole.PROGRAM_LEAD, OrgRole.RISK_COMPLIANCE])
    with django_capture_on_commit_callbacks(execute=True):
        api_as(both).post(
            f"/api/v1/use-cases/{fresh.pk}/risk/",
            {"answers": eligibility_answers()},
            format="json",
        )

    recipients = Notification.objects.filter(kind=Kind.RISK_CLASSIFICATION_PROPOSED)
    assert [n.recipient.username for n in recipients] == ["risk"]


def test_the_schema_types_the_new_operations(schema):
    paths = schema["paths"]
    assert "/api/v1/use-cases/{id}/risk/" in paths
    assert "/api/v1/risk-classifications/{id}/decision/" in paths
    assert "/api/v1/risk/questionnaire/" in paths
    components = schema["components"]["schemas"]
    answers = components["RiskAnswers"]["properties"]
    assert answers["phi"]["type"] == "boolean"
    assert answers["annex_iii_areas"]["type"] == "array"
    assert set(components["RiskClassification"]["properties"]) >= {
        "proposed_tier",
        "reasoning",
        "prohibited",
        "override_reason",
    }
