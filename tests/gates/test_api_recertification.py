"""The API of recertifications: the review names itself and its trigger,
Retire takes the decommissioning checklist (400 for a bad one, nothing
changed), Kill is refused there, the steps are listed, the schema is typed."""

from __future__ import annotations

import pytest

from gates.models import DecommissioningStep, GateReview, ReviewStatus
from tests.factories import UseCaseFactory
from tests.gates.helpers import RETIRE_EXIT, isolate
from tests.gates.recertification import checklist, recertification_open
from usecases.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


@pytest.fixture
def review(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    return recertification_open(use_case, lead, sponsor)


def _decide(client, review, body):
    return client.post(f"/api/v1/reviews/{review.pk}/decision/", body, format="json")


def test_the_review_names_the_recertification_and_its_trigger(api_as, lead, review):
    GateReview.objects.filter(pk=review.pk).update(
        trigger="drift", trigger_detail="Accuracy 88% breaks Accuracy ≥ 91%"
    )
    body = api_as(lead).get(f"/api/v1/reviews/{review.pk}/").json()
    assert body["gate_label"] == "Recertification"
    assert body["is_recertification"] is True
    assert body["trigger"] == "drift"
    assert body["trigger_detail"] == "Accuracy 88% breaks Accuracy ≥ 91%"
    assert body["decommissioning"] == []
    listed = api_as(lead).get(f"/api/v1/use-cases/{review.use_case_id}/reviews/").json()
    assert [r["gate_label"] for r in listed][0] == "Recertification"


def test_it_retires_with_the_checklist(api_as, lead, review):
    answers = checklist(s2={"status": "not_applicable", "note": "No data shared."})
    response = _decide(
        api_as(lead),
        review,
        {
            "decision": "retire",
            "rationale": "Superseded.",
            "decommissioning": answers,
            **RETIRE_EXIT,
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["decision"] == "retire"
    assert body["use_case"]["status"] == "retired"
    assert [e["step"] for e in body["decommissioning"]] == [a["step"] for a in answers]
    assert body["decommissioning"][1]["status"] == "not_applicable"
    assert body["decommissioning"][1]["note"] == "No data shared."
    assert (
        body["decommissioning"][0]["text"]
        == DecommissioningStep.objects.get(pk=answers[0]["step"]).text
    )


@pytest.mark.parametrize(
    "answers",
    [
        lambda: checklist()[1:],
        lambda: checklist(s1={"status": "not_applicable"}),
        lambda: [*checklist(), {"step": 999_999, "status": "done"}],
        lambda: checklist(s1={"status": "gone"}),
        lambda: checklist(s1={"note": "x" * 1001}),
        lambda: "all done",
        lambda: [{"step": "first", "status": "done"}],
    ],
)
def test_it_answers_400_for_a_bad_checklist_and_changes_nothing(api_as, lead, review, answers):
    response = _decide(
        api_as(lead),
        review,
        {
            "decision": "retire",
            "rationale": "Superseded.",
            "decommissioning": answers(),
            **RETIRE_EXIT,
        },
    )
    assert response.status_code == 400
    assert "decommissioning" in str(response.json())
    review.refresh_from_db()
    review.use_case.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert review.use_case.status == Status.ACTIVE


def test_it_refuses_kill_on_a_recertification_with_409(api_as, lead, review):
    response = _decide(api_as(lead), review, {"decision": "kill", "rationale": "Stop it."})
    assert response.status_code == 409
    assert "retired, not killed" in str(response.json())
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_it_refuses_retire_at_a_gate_with_409(api_as, lead, open_review):
    response = _decide(
        api_as(lead),
        open_review,
        {"decision": "retire", "rationale": "x", "decommissioning": checklist()},
    )
    assert response.status_code == 409
    assert "Kill is for gates 1-4" in str(response.json())


def test_it_lists_the_active_decommissioning_steps(api_as, api, sponsor):
    DecommissioningStep.objects.filter(order=1).update(is_active=False)
    response = api_as(sponsor).get("/api/v1/decommissioning-steps/")
    assert response.status_code == 200
    active = DecommissioningStep.objects.filter(is_active=True).order_by("order")
    assert response.json() == [{"id": s.pk, "order": s.order, "text": s.text} for s in active]
    assert api.get("/api/v1/decommissioning-steps/").status_code in (401, 403)


def test_the_schema_types_the_new_fields(schema):
    components = schema["components"]["schemas"]
    assert set(components["GateDecisionEnum"]["enum"]) >= {
        "go",
        "conditional_go",
        "hold",
        "recycle",
        "kill",
        "retire",
    }
    assert set(components["ReviewTriggerEnum"]["enum"]) == {
        "manual",
        "scheduled",
        "drift",
        "incident",
    }
    decision_input = components["DecisionInputRequest"]["properties"]["decommissioning"]
    assert decision_input["items"]["$ref"].endswith("/DecommissioningAnswerInputRequest")
    review = components["Review"]["properties"]
    assert review["trigger"]["allOf"][0]["$ref"].endswith("/ReviewTriggerEnum")
    assert review["decommissioning"]["items"]["$ref"].endswith("/DecommissioningEntry")
    assert "/api/v1/decommissioning-steps/" in schema["paths"]
