"""The review endpoints: the permission ladder, refusals as 409 with their
reasons, validation as 400, and never a 500 for hostile input."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from gates import services
from gates.models import (
    ApprovalDecision,
    AssessmentStatus,
    ConditionStatus,
    GateCondition,
    GateReview,
    ReviewStatus,
)
from tests.gates.helpers import KILL_EXIT, isolate, ready_for_decision, upload_required
from usecases.models import Stage, Status


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


# --- Gate templates -----------------------------------------------------------------


def test_it_lists_the_four_gates_and_the_recertification_with_their_framework(api_as, sponsor):
    response = api_as(sponsor).get("/api/v1/gate-templates/")
    assert response.status_code == 200
    gates = response.json()
    assert [g["number"] for g in gates] == [1, 2, 3, 4, 5]
    assert [g["label"] for g in gates][-1] == "Recertification"
    assert (gates[-1]["from_stage"], gates[-1]["to_stage"]) == ("scale", "scale")
    first = gates[0]
    assert (first["from_stage"], first["to_stage"], first["version"]) == ("discovery", "poc", 1)
    assert [c["name"] for c in first["criteria"]][0] == "Business value"
    assert len(first["artifact_types"]) == 4
    assert [r["role"] for r in first["approver_roles"]] == ["program_lead", "sponsor"]


def test_it_refuses_the_gate_templates_to_anonymous_callers(api, db):
    assert api.get("/api/v1/gate-templates/").status_code in (401, 403)


# --- Opening ------------------------------------------------------------------------


def test_it_opens_the_next_review(api_as, lead, use_case):
    response = api_as(lead).post(f"/api/v1/use-cases/{use_case.pk}/reviews/", {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["gate_number"] == 1 and body["status"] == "open"
    assert [a["user"]["username"] for a in body["approvals"]] == ["lead", "sponsor"]
    assert "Missing artifact: Use case scorecard" in body["submission_blockers"]


def test_it_opens_a_review_with_named_approvers(api_as, lead, techlead, use_case):
    response = api_as(lead).post(
        f"/api/v1/use-cases/{use_case.pk}/reviews/",
        {"approvers": {"sponsor": [techlead.pk]}},
        format="json",
    )
    assert response.status_code == 201
    assert {a["user"]["username"] for a in response.json()["approvals"]} == {"lead", "techlead"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"approvers": "x"}, "approvers"),
        ({"approvers": {"sponsor": ["abc"]}}, "approvers.sponsor.0"),
        ({"approvers": {"sponsor": [987654]}}, "approvers.sponsor.0"),
        ({"approvers": {"sponsor": []}}, "approvers.sponsor"),
        ({"approvers": {"cio_cto": [1]}}, "approvers.cio_cto.0"),  # does not approve Gate 1
    ],
)
def test_it_validates_named_approvers(api_as, lead, use_case, body, field):
    response = api_as(lead).post(f"/api/v1/use-cases/{use_case.pk}/reviews/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not GateReview.objects.exists()


def test_it_refuses_a_second_review_with_409(api_as, lead, open_review, use_case):
    response = api_as(lead).post(f"/api/v1/use-cases/{use_case.pk}/reviews/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "This use case already has an open review."
    assert response.json()["reasons"] == [
        f"Gate 1 review #{open_review.pk}: Open: preparing evidence."
    ]


@pytest.mark.parametrize("who", ["sponsor", "executive"])
def test_it_lets_only_a_lead_open_a_review(api_as, request, use_case, who):
    user = request.getfixturevalue(who)
    response = api_as(user).post(f"/api/v1/use-cases/{use_case.pk}/reviews/", {}, format="json")
    assert response.status_code == 403


def test_it_hides_the_use_case_from_an_outsider(api_as, outsider, use_case):
    response = api_as(outsider).post(f"/api/v1/use-cases/{use_case.pk}/reviews/", {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "reasons": [], "fields": {}}


def test_it_answers_400_for_malformed_json(api_as, lead, use_case):
    response = api_as(lead).post(
        f"/api/v1/use-cases/{use_case.pk}/reviews/",
        data='{"approvers": ',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_it_lists_the_reviews_of_a_use_case(api_as, executive, open_review, use_case):
    response = api_as(executive).get(f"/api/v1/use-cases/{use_case.pk}/reviews/")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == [open_review.pk]


# --- Reading ------------------------------------------------------------------------


def test_it_reads_a_review_with_everything_a_client_needs(api_as, executive, sponsor, open_review):
    artifact = upload_required(open_review, sponsor)[0]
    body = api_as(executive).get(f"/api/v1/reviews/{open_review.pk}/").json()
    assert body["use_case"]["stage"] == "discovery"
    criterion = body["criteria"][0]
    assert set(criterion) >= {
        "id",
        "name",
        "requirement",
        "must_meet",
        "status",
        "evidence",
        "artifacts",
        "assessed_by",
        "assessed_at",
    }
    required = body["required_artifacts"][0]
    assert required["present"] is True
    assert required["latest"]["id"] == artifact.pk
    assert required["pinned"] is None
    assert body["approvals"][0]["user"] == {
        "id": open_review.chair_id,
        "username": "lead",
        "name": "Lena Lead",
    }
    assert body["go_blockers"][0] == "The review has not been submitted."
    assert body["submission_blockers"][0] == "Criterion not assessed: Business value"


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("sponsor", 200), ("buhead", 200)])
def test_it_reads_a_review_only_when_the_use_case_is_visible(
    api_as, request, open_review, who, status
):
    user = request.getfixturevalue(who)
    assert api_as(user).get(f"/api/v1/reviews/{open_review.pk}/").status_code == status


def test_it_answers_404_for_an_unknown_review(api_as, lead, db):
    assert api_as(lead).get("/api/v1/reviews/99999999999/").status_code == 404


def test_it_shows_the_pinned_versions_after_submission(api_as, lead, sponsor, submitted_review):
    required = (
        api_as(lead).get(f"/api/v1/reviews/{submitted_review.pk}/").json()["required_artifacts"]
    )
    assert all(r["pinned"] is not None for r in required)
    assert {r["pinned"]["id"] for r in required} == set(
        submitted_review.pinned_artifacts.values_list("pk", flat=True)
    )


# --- Assessing -------------------------------------------------------------------------


def test_it_records_an_assessment(api_as, sponsor, open_review):
    artifact = upload_required(open_review, sponsor)[0]
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/",
        {"status": "met", "evidence": "CFO signed.", "artifacts": [artifact.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "met"
    assert response.json()["artifacts"] == [artifact.pk]
    assert response.json()["assessed_by"]["username"] == "sponsor"


def test_it_keeps_omitted_fields_of_an_assessment(api_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    client = api_as(sponsor)
    path = f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/"
    client.patch(path, {"status": "met", "evidence": "First."}, format="json")
    response = client.patch(path, {"evidence": "Second."}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["evidence"]) == ("met", "Second.")


def test_it_refuses_a_pending_status_when_nothing_was_assessed(api_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/",
        {"evidence": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "brilliant"}, "status"),
        ({"status": "met", "evidence": "nul\x00byte"}, "evidence"),
        ({"status": "met", "evidence": ["a"]}, "evidence"),
        ({"status": "met", "artifacts": "x"}, "artifacts"),
        ({"status": "met", "artifacts": [987654]}, "artifacts.0"),
        ({"status": "met", "artifacts": {"1": "x"}}, "artifacts"),
        ({"status": "met", "evidence": "x" * 10001}, "evidence"),
    ],
)
def test_it_validates_an_assessment(api_as, sponsor, open_review, body, field):
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING


def test_it_refuses_to_link_an_artifact_of_another_use_case(
    api_as, lead, sponsor, open_review, business_unit
):
    from tests.factories import UseCaseFactory

    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor)
    other_review = services.review_open(use_case=other, by=lead)
    foreign = upload_required(other_review, sponsor)[0]
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/",
        {"status": "met", "artifacts": [foreign.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "artifacts.0": [f'Invalid pk "{foreign.pk}" - object does not exist.']
    }


def test_it_answers_404_for_a_criterion_of_another_review(
    api_as, lead, sponsor, open_review, business_unit
):
    from tests.factories import UseCaseFactory

    other = services.review_open(
        use_case=UseCaseFactory(business_unit=business_unit, sponsor=sponsor), by=lead
    )
    foreign = other.criteria.first()
    response = api_as(lead).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{foreign.pk}/", {"status": "met"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("executive", 403), ("buhead", 403), ("outsider", 404)]
)
def test_it_lets_only_the_team_and_leads_assess(api_as, request, open_review, who, status):
    user = request.getfixturevalue(who)
    criterion = open_review.criteria.first()
    response = api_as(user).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/",
        {"status": "met"},
        format="json",
    )
    assert response.status_code == status


def test_it_refuses_assessments_after_submission_with_409(api_as, sponsor, submitted_review):
    criterion = submitted_review.criteria.first()
    response = api_as(sponsor).patch(
        f"/api/v1/reviews/{submitted_review.pk}/criteria/{criterion.pk}/",
        {"status": "not_met"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["reasons"] == [
        "The review is submitted: awaiting approvals and decision."
    ]


# --- Submitting ----------------------------------------------------------------------


def test_it_refuses_submission_listing_the_missing_artifacts(api_as, sponsor, open_review):
    response = api_as(sponsor).post(f"/api/v1/reviews/{open_review.pk}/submit/")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "The review cannot be submitted yet."
    assert body["reasons"][:4] == [
        "Missing artifact: Use case scorecard",
        "Missing artifact: Data availability assessment",
        "Missing artifact: Preliminary risk assessment",
        "Missing artifact: Business value hypothesis with assumptions documented",
    ]


def test_it_submits_a_complete_review(api_as, sponsor, use_case, lead):
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    for criterion in review.criteria.all():
        services.criterion_assess(
            review=review, criterion=criterion, by=sponsor, status="met", evidence="Checked."
        )
    response = api_as(sponsor).post(f"/api/v1/reviews/{review.pk}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["submission_blockers"] == []


@pytest.mark.parametrize(("who", "status"), [("executive", 403), ("contributor", 403)])
def test_it_lets_only_sponsor_techlead_or_lead_submit(api_as, request, open_review, who, status):
    user = request.getfixturevalue(who)
    assert api_as(user).post(f"/api/v1/reviews/{open_review.pk}/submit/").status_code == status


# --- Approving ----------------------------------------------------------------------


def test_it_records_the_callers_own_decision(api_as, sponsor, submitted_review):
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200
    mine = [a for a in response.json()["approvals"] if a["user"]["username"] == "sponsor"][0]
    assert mine["decision"] == "approve"
    assert submitted_review.approvers.get(user=sponsor).decision == ApprovalDecision.APPROVE


def test_it_never_records_a_decision_for_someone_else(api_as, sponsor, lead, submitted_review):
    # An approver field is ignored: the API records the caller's own decision.
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/",
        {"decision": "approve", "approver": lead.pk, "user": lead.pk},
        format="json",
    )
    assert response.status_code == 200
    assert submitted_review.approvers.get(user=lead).decision == ApprovalDecision.PENDING


@pytest.mark.parametrize("who", ["executive", "techlead", "cio"])
def test_it_refuses_approval_from_someone_not_named(api_as, request, submitted_review, who):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", {"decision": "approve"}, format="json"
    )
    assert response.status_code in (403, 404)
    assert response.status_code == (404 if who == "cio" else 403)


def test_it_requires_a_comment_to_reject(api_as, sponsor, submitted_review):
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", {"decision": "reject"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["comment"] == ["A comment is required when you reject."]


@pytest.mark.parametrize(
    "body", [{"decision": "yes"}, {}, {"decision": "approve", "comment": "a\x00b"}, []]
)
def test_it_validates_an_approval(api_as, sponsor, submitted_review, body):
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", body, format="json"
    )
    assert response.status_code == 400


def test_it_refuses_an_approval_before_submission_with_409(api_as, sponsor, open_review):
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{open_review.pk}/approvals/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["reasons"] == ["The review has not been submitted yet."]


# --- Deciding -------------------------------------------------------------------------


def test_it_refuses_go_listing_who_has_not_approved(api_as, lead, submitted_review):
    services.approval_record(review=submitted_review, approver=lead, decision="approve")
    response = api_as(lead).post(
        f"/api/v1/reviews/{submitted_review.pk}/decision/", {"decision": "go"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Go cannot be recorded yet.",
        "reasons": ["Sam Sponsor has not approved yet."],
        "fields": {},
    }


def test_it_records_go_and_moves_the_use_case(api_as, lead, sponsor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/decision/",
        {"decision": "go", "rationale": "Evidence holds."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["decision"] == "go"
    assert response.json()["use_case"]["stage"] == "poc"
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC


def test_it_records_conditional_go_with_conditions(api_as, lead, sponsor, techlead, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/decision/",
        {
            "decision": "conditional_go",
            "rationale": "Go with monitoring.",
            "conditions": [
                {"description": "Drift monitoring", "owner": techlead.pk, "due_date": in_days(30)}
            ],
        },
        format="json",
    )
    assert response.status_code == 200
    conditions = response.json()["conditions"]
    assert [(c["description"], c["owner"]["username"]) for c in conditions] == [
        ("Drift monitoring", "techlead")
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "conditional_go", "conditions": "x"}, "conditions"),
        (
            {"decision": "conditional_go", "conditions": [{"description": "x"}]},
            "conditions.0.owner",
        ),
        (
            {
                "decision": "conditional_go",
                "conditions": [{"description": "x", "owner": 987654, "due_date": "2099-01-01"}],
            },
            "conditions.0.owner",
        ),
        (
            {
                "decision": "conditional_go",
                "conditions": [{"description": "x", "owner": "me", "due_date": "soon"}],
            },
            "conditions.0.due_date",
        ),
        ({"decision": "conditional_go", "conditions": []}, "conditions"),
        ({"decision": "hold", "rationale": ""}, "rationale"),
        ({"decision": "kill", "rationale": "\x00"}, "rationale"),
    ],
)
def test_it_validates_a_decision(api_as, lead, sponsor, use_case, body, field):
    review = ready_for_decision(use_case, lead, sponsor)
    response = api_as(lead).post(f"/api/v1/reviews/{review.pk}/decision/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


def test_it_refuses_a_condition_due_in_the_past(api_as, lead, sponsor, techlead, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/decision/",
        {
            "decision": "conditional_go",
            "conditions": [{"description": "x", "owner": techlead.pk, "due_date": in_days(-1)}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["conditions"] == ["Condition 1: the due date is in the past."]


@pytest.mark.parametrize(
    ("who", "status"), [("sponsor", 403), ("executive", 403), ("outsider", 404)]
)
def test_it_lets_only_the_chair_decide(api_as, request, submitted_review, who, status):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        f"/api/v1/reviews/{submitted_review.pk}/decision/",
        {"decision": "kill", "rationale": "No."},
        format="json",
    )
    assert response.status_code == status
    submitted_review.use_case.refresh_from_db()
    assert submitted_review.use_case.status == Status.ACTIVE


def test_it_refuses_a_second_decision_with_409(api_as, lead, submitted_review):
    client = api_as(lead)
    path = f"/api/v1/reviews/{submitted_review.pk}/decision/"
    assert (
        client.post(
            path, {"decision": "recycle", "rationale": "Rework."}, format="json"
        ).status_code
        == 200
    )
    response = client.post(path, {"decision": "kill", "rationale": "No."}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "The gate has already been decided."


# --- Conditions and resuming ---------------------------------------------------------------


@pytest.fixture
def condition(lead, sponsor, techlead, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    services.gate_decide(
        review=review,
        by=lead,
        decision="conditional_go",
        rationale="Go.",
        conditions=[
            {
                "description": "Drift monitoring",
                "owner": techlead,
                "due_date": timezone.localdate() + datetime.timedelta(days=10),
            }
        ],
    )
    return GateCondition.objects.get(review=review)


def test_it_lets_the_owner_close_a_condition(api_as, techlead, condition):
    response = api_as(techlead).post(
        f"/api/v1/conditions/{condition.pk}/close/", {"note": "Dashboards live."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.CLOSED


@pytest.mark.parametrize(
    ("who", "status"), [("sponsor", 403), ("executive", 403), ("outsider", 404)]
)
def test_it_lets_only_the_owner_or_a_lead_close(api_as, request, condition, who, status):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        f"/api/v1/conditions/{condition.pk}/close/", {"note": "Done."}, format="json"
    )
    assert response.status_code == status


def test_it_requires_a_note_to_close_a_condition(api_as, lead, condition):
    response = api_as(lead).post(f"/api/v1/conditions/{condition.pk}/close/", {}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["fields"]


def test_it_resumes_a_use_case_on_hold(api_as, lead, sponsor, submitted_review, use_case):
    services.gate_decide(review=submitted_review, by=lead, decision="hold", rationale="Budget.")
    assert api_as(sponsor).post(f"/api/v1/use-cases/{use_case.pk}/resume/").status_code == 403
    response = api_as(lead).post(
        f"/api/v1/use-cases/{use_case.pk}/resume/", {"note": "Funded."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    again = api_as(lead).post(f"/api/v1/use-cases/{use_case.pk}/resume/")
    assert again.status_code == 409


def test_it_keeps_a_killed_use_case_read_only(api_as, lead, sponsor, submitted_review):
    services.gate_decide(
        review=submitted_review, by=lead, decision="kill", rationale="No value.", **KILL_EXIT
    )
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 409
    assert "read-only" in response.json()["detail"]


def test_it_generates_the_openapi_schema(api_as, lead):
    response = api_as(lead).get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    for path in (
        "/api/v1/reviews/{id}/decision/",
        "/api/v1/reviews/{id}/criteria/{criterion_id}/",
        "/api/v1/use-cases/{id}/artifacts/",
        "/api/v1/artifacts/{id}/download/",
    ):
        assert path in body
