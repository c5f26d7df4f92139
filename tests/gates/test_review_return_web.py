"""Returning a review for rework over the API and on the review page: the
permission ladder, refusals in the error shape, htmx and plain posts, the
notice the team reads, and an approver's reject-and-return in one step."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from gates import services
from gates.models import ApprovalDecision, GateReview, ReviewStatus
from tests.gates.helpers import isolate, make_open_review

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def url(review: GateReview, suffix: str = "") -> str:
    return f"/reviews/{review.pk}/{suffix}"


# --- API ----------------------------------------------------------------------------


def test_the_chair_returns_it_over_the_api(api_as, lead, sponsor, submitted_review):
    services.approval_record(review=submitted_review, approver=sponsor, decision="approve")

    response = api_as(lead).post(
        f"/api/v1/reviews/{submitted_review.pk}/return/",
        {"reason": "Add the baseline figures."},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open"
    assert body["rework_count"] == 1
    assert body["returned_by"]["username"] == "lead"
    assert body["return_reason"] == "Add the baseline figures."
    assert body["returned_at"] is not None
    assert body["submitted_at"] is None
    assert {a["decision"] for a in body["approvals"]} == {"pending"}
    assert all(c["status"] == "met" for c in body["criteria"])


def test_a_review_never_returned_says_so(api_as, sponsor, submitted_review):
    body = api_as(sponsor).get(f"/api/v1/reviews/{submitted_review.pk}/").json()

    assert (body["rework_count"], body["returned_at"], body["returned_by"]) == (0, None, None)
    assert (body["return_reason"], body["carried_from"]) == ("", None)


@pytest.mark.parametrize("who", ["sponsor", "executive", "techlead"])
def test_the_api_refuses_others_with_403(request, api_as, submitted_review, who):
    response = api_as(request.getfixturevalue(who)).post(
        f"/api/v1/reviews/{submitted_review.pk}/return/", {"reason": "Rework."}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Only the chair of this gate (Lena Lead)")
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED


def test_the_api_hides_the_review_from_an_outsider(api_as, outsider, submitted_review):
    response = api_as(outsider).post(
        f"/api/v1/reviews/{submitted_review.pk}/return/", {"reason": "Rework."}, format="json"
    )

    assert response.status_code == 404


def test_the_api_refuses_an_open_review_with_409_and_the_reason(api_as, lead, use_case):
    review = make_open_review(use_case, lead)

    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/return/", {"reason": "Rework."}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a submitted review is returned for rework.",
        "reasons": ["The review is still open with the team: it has not been submitted."],
        "fields": {},
    }


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "x" * 5001}])
def test_the_api_needs_a_reason(api_as, lead, submitted_review, payload):
    response = api_as(lead).post(
        f"/api/v1/reviews/{submitted_review.pk}/return/", payload, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert not AuditEvent.objects.filter(action="review.returned").exists()


def test_an_approver_rejects_and_returns_in_one_call(api_as, sponsor, submitted_review):
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/",
        {"decision": "reject", "comment": "The costs are missing.", "return_for_rework": True},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["return_reason"]) == ("open", "The costs are missing.")
    assert body["returned_by"]["username"] == "sponsor"


def test_return_for_rework_goes_only_with_a_rejection(api_as, sponsor, submitted_review):
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/",
        {"decision": "approve", "return_for_rework": True},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["return_for_rework"] == [
        "A review is returned for rework only with a rejection."
    ]
    assert submitted_review.approvers.get(user=sponsor).decision == ApprovalDecision.PENDING


def test_the_schema_types_the_return(schema):
    operation = schema["paths"]["/api/v1/reviews/{id}/return/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/ReviewReturnInputRequest")
    assert set(operation["responses"]) >= {"200", "400", "403", "404", "409"}
    review = schema["components"]["schemas"]["Review"]["properties"]
    assert {"rework_count", "returned_at", "returned_by", "return_reason", "carried_from"} <= set(
        review
    )
    criterion = schema["components"]["schemas"]["ReviewCriterion"]["properties"]
    assert {"carried_over", "carried_from_review"} <= set(criterion)
    approval = schema["components"]["schemas"]["ApprovalInputRequest"]["properties"]
    assert approval["return_for_rework"]["type"] == "boolean"


# --- The review page ---------------------------------------------------------------


def test_the_return_form_is_shown_to_the_chair_only(
    client_as, lead, sponsor, executive, submitted_review
):
    assert 'id="return-panel"' in client_as(lead).get(url(submitted_review)).content.decode()
    for person in (sponsor, executive):
        body = client_as(person).get(url(submitted_review)).content.decode()
        assert 'id="return-panel"' not in body


def test_an_approver_who_rejected_sees_the_return_form(client_as, sponsor, submitted_review):
    services.approval_record(
        review=submitted_review, approver=sponsor, decision="reject", comment="No costs."
    )

    body = client_as(sponsor).get(url(submitted_review)).content.decode()

    assert 'id="return-panel"' in body
    assert '<label for="return-reason">Why it goes back to the team' in body


def test_the_chair_returns_it_with_htmx_and_the_team_reads_the_notice(
    client_as, lead, sponsor, submitted_review
):
    response = client_as(lead).post(
        url(submitted_review, "return/"), {"reason": "Add the baseline figures."}, headers=HTMX
    )

    assert response["HX-Redirect"] == url(submitted_review)
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.OPEN
    body = client_as(sponsor).get(url(submitted_review)).content.decode()
    notice = body[body.index('id="return-notice"') :]
    notice = notice[: notice.index("</div>")]
    assert "Returned for rework on" in notice
    assert "by Lena Lead: Add the baseline figures. (round 1)" in notice
    assert "Submit for approval" in body


def test_the_chair_returns_it_with_a_plain_post(client_as, lead, submitted_review):
    response = client_as(lead).post(url(submitted_review, "return/"), {"reason": "Rework."})

    assert response.status_code == 302
    assert response["Location"] == url(submitted_review)
    submitted_review.refresh_from_db()
    assert submitted_review.rework_count == 1


def test_a_missing_reason_is_shown_next_to_the_field(client_as, lead, submitted_review):
    response = client_as(lead).post(url(submitted_review, "return/"), {"reason": " "}, headers=HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="return-panel">')
    assert "This field is required." in body
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED

    plain = client_as(lead).post(url(submitted_review, "return/"), {"reason": ""})
    assert plain.status_code == 400


def test_the_page_refuses_a_return_by_someone_else(client_as, sponsor, submitted_review):
    response = client_as(sponsor).post(
        url(submitted_review, "return/"), {"reason": "Rework."}, headers=HTMX
    )

    assert response["HX-Retarget"] == "#flash"
    assert "Only the chair of this gate (Lena Lead)" in response.content.decode()
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED


def test_an_approver_rejects_and_returns_from_the_approval_form(
    client_as, sponsor, submitted_review
):
    response = client_as(sponsor).post(
        url(submitted_review, "approval/"),
        {"decision": "reject", "comment": "The costs are missing.", "return_for_rework": "on"},
        headers=HTMX,
    )

    assert response["HX-Redirect"] == url(submitted_review)
    submitted_review.refresh_from_db()
    assert (submitted_review.status, submitted_review.returned_by) == (ReviewStatus.OPEN, sponsor)


def test_the_approval_form_refuses_return_without_a_rejection(client_as, sponsor, submitted_review):
    response = client_as(sponsor).post(
        url(submitted_review, "approval/"),
        {"decision": "approve", "return_for_rework": "on"},
        headers=HTMX,
    )

    assert "A review is returned for rework only with a rejection." in response.content.decode()
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED
    assert submitted_review.approvers.get(user=sponsor).decision == ApprovalDecision.PENDING
