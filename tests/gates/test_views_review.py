"""The review page and its actions in the browser: the permission ladder, the
htmx fragments, refusals with their reasons, and plain form posts."""

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
from tests.gates.helpers import (
    KILL_EXIT,
    assess_all,
    isolate,
    pass_gate,
    ready_for_decision,
    upload_required,
)
from usecases.models import Stage, Status

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def url(review: GateReview, suffix: str = "") -> str:
    return f"/reviews/{review.pk}/{suffix}"


# --- Reading the page ----------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, open_review):
    response = client.get(url(open_review))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_hides_the_review_from_an_outsider(client_as, outsider, open_review):
    assert client_as(outsider).get(url(open_review)).status_code == 404


def test_it_answers_404_for_an_unknown_review(client_as, lead, db):
    assert client_as(lead).get("/reviews/987654/").status_code == 404


def test_it_shows_the_executive_the_review_without_actions(client_as, executive, open_review):
    response = client_as(executive).get(url(open_review))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Gate 1: Discovery → POC" in body
    assert "Missing artifact: Use case scorecard" in body
    assert ">Assess</a>" not in body
    assert "Submit for approval</button>" not in body
    assert "Record decision" not in body


def test_it_shows_the_sponsor_the_checklist_and_the_actions(client_as, sponsor, open_review):
    body = client_as(sponsor).get(url(open_review)).content.decode()
    assert "Not ready to submit yet" in body
    assert "Missing artifact: Preliminary risk assessment" in body
    assert "Criterion not assessed: Business value" in body
    assert ">Assess</a>" in body
    assert "Submit for approval</button>" in body
    # The sponsor approves at Gate 1 but is not the chair.
    assert "You are a named approver" in body
    assert "Record decision" not in body
    assert "The chair, Lena Lead, records the decision." in body


def test_it_shows_the_chair_exactly_why_go_is_not_possible(client_as, lead, open_review):
    body = client_as(lead).get(url(open_review)).content.decode()
    assert "Go and Conditional Go cannot be recorded yet" in body
    assert "The review has not been submitted." in body
    assert "Sam Sponsor has not approved yet." in body
    assert "Must-meet criterion “Business value” is not assessed." in body
    assert "Record decision" in body


# --- Assessing criteria ------------------------------------------------------------


def test_it_opens_a_criterion_for_editing_in_place(client_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    response = client_as(sponsor).get(url(open_review, f"criteria/{criterion.pk}/"), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="criterion-{criterion.pk}">')
    assert "<html" not in body
    assert 'name="status"' in body and 'name="evidence"' in body and 'name="artifacts"' in body


def test_it_opens_the_criterion_form_on_the_whole_page_without_htmx(
    client_as, sponsor, open_review
):
    criterion = open_review.criteria.first()
    response = client_as(sponsor).get(url(open_review, f"criteria/{criterion.pk}/"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "Save assessment" in body


def test_it_records_an_assessment_and_answers_with_the_row(client_as, sponsor, open_review):
    artifact = upload_required(open_review, sponsor)[0]
    criterion = open_review.criteria.first()
    response = client_as(sponsor).post(
        url(open_review, f"criteria/{criterion.pk}/"),
        {"status": "met", "evidence": "Signed off by the CFO.", "artifacts": [artifact.pk]},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    # The submit panel comes along, recomputed: one criterion is assessed now.
    assert '<section class="card" id="submit-panel" hx-swap-oob="true">' in body
    assert f"Criterion not assessed: {criterion.name}" not in body
    assert "Criterion not assessed:" in body
    assert 'class="badge badge-met"' in body
    assert "Signed off by the CFO." in body
    assert f"/artifacts/{artifact.pk}/download/" in body
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert list(criterion.artifacts.all()) == [artifact]


def test_it_records_an_assessment_from_a_plain_form_post(client_as, techlead, open_review):
    criterion = open_review.criteria.first()
    response = client_as(techlead).post(
        url(open_review, f"criteria/{criterion.pk}/"),
        {"status": "partially_met", "evidence": "Half."},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url(open_review)}#criterion-{criterion.pk}"
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PARTIALLY_MET


def test_it_shows_a_bad_assessment_status_next_to_the_field(client_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    response = client_as(sponsor).post(
        url(open_review, f"criteria/{criterion.pk}/"), {"status": "pending"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING


def test_it_refuses_an_assessment_by_the_executive(client_as, executive, open_review):
    criterion = open_review.criteria.first()
    response = client_as(executive).post(
        url(open_review, f"criteria/{criterion.pk}/"), {"status": "met"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#flash"
    assert "Only the use case&#x27;s team and program leads assess" in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING


def test_it_answers_404_for_a_criterion_of_another_review(
    client_as, lead, sponsor, open_review, use_case
):
    other = services.review_open(use_case=_another_use_case(use_case, sponsor), by=lead)
    foreign = other.criteria.first()
    assert client_as(lead).get(url(open_review, f"criteria/{foreign.pk}/")).status_code == 404


def _another_use_case(use_case, sponsor):
    from tests.factories import UseCaseFactory

    return UseCaseFactory(business_unit=use_case.business_unit, sponsor=sponsor)


# --- Submitting ----------------------------------------------------------------------


def test_it_refuses_to_submit_with_the_list_of_what_is_missing(client_as, sponsor, open_review):
    response = client_as(sponsor).post(url(open_review, "submit/"), headers=HTMX)
    assert response["HX-Retarget"] == "#flash"
    body = response.content.decode()
    assert "The review cannot be submitted yet." in body
    assert "<li>Missing artifact: Use case scorecard</li>" in body
    assert "<li>Criterion not assessed: Sponsorship</li>" in body
    open_review.refresh_from_db()
    assert open_review.status == ReviewStatus.OPEN


def test_it_shows_a_plain_submit_refusal_as_a_message(client_as, sponsor, open_review):
    client = client_as(sponsor)
    response = client.post(
        url(open_review, "submit/"), headers={"referer": url(open_review)}, follow=True
    )
    assert "Missing artifact: Use case scorecard" in response.content.decode()


def test_it_submits_and_redirects_the_htmx_client(client_as, sponsor, open_review):
    upload_required(open_review, sponsor)
    assess_all(open_review, sponsor)
    response = client_as(sponsor).post(url(open_review, "submit/"), headers=HTMX)
    assert response["HX-Redirect"] == url(open_review)
    open_review.refresh_from_db()
    assert open_review.status == ReviewStatus.SUBMITTED
    assert open_review.pinned_artifacts.count() == 4


def test_it_refuses_submission_by_a_contributor(client_as, contributor, sponsor, open_review):
    upload_required(open_review, sponsor)
    assess_all(open_review, sponsor)
    response = client_as(contributor).post(url(open_review, "submit/"), headers=HTMX)
    assert "Only the use case&#x27;s sponsor, technical lead or a program lead" in (
        response.content.decode()
    )
    open_review.refresh_from_db()
    assert open_review.status == ReviewStatus.OPEN


# --- Approving ----------------------------------------------------------------------


def test_it_shows_the_approval_form_only_to_a_named_approver(
    client_as, sponsor, executive, submitted_review
):
    assert "Record my decision" in client_as(sponsor).get(url(submitted_review)).content.decode()
    assert (
        "Record my decision" not in client_as(executive).get(url(submitted_review)).content.decode()
    )


def test_it_records_the_callers_own_approval_in_place(client_as, sponsor, submitted_review):
    response = client_as(sponsor).post(
        url(submitted_review, "approval/"), {"decision": "approve", "comment": ""}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="approvals">')
    # The decision panel comes along: the sponsor's approval is no longer awaited.
    assert '<section class="card" id="decision-panel" hx-swap-oob="true">' in body
    assert "Sam Sponsor has not approved yet." not in body
    assert 'class="badge badge-approve">Approved' in body
    row = submitted_review.approvers.get(user=sponsor)
    assert row.decision == ApprovalDecision.APPROVE


def test_it_requires_a_comment_to_reject_and_says_so_inline(client_as, sponsor, submitted_review):
    response = client_as(sponsor).post(
        url(submitted_review, "approval/"), {"decision": "reject", "comment": "  "}, headers=HTMX
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    body = response.content.decode()
    assert "A comment is required when you reject." in body
    assert submitted_review.approvers.get(user=sponsor).decision == ApprovalDecision.PENDING


def test_it_refuses_an_approval_from_someone_not_named(client_as, executive, submitted_review):
    response = client_as(executive).post(
        url(submitted_review, "approval/"), {"decision": "approve"}, headers=HTMX
    )
    assert response["HX-Retarget"] == "#flash"
    assert "You are not a named approver of this review" in response.content.decode()
    assert not submitted_review.approvers.filter(decision=ApprovalDecision.APPROVE).exists()


def test_it_refuses_an_approval_before_submission(client_as, sponsor, open_review):
    response = client_as(sponsor).post(
        url(open_review, "approval/"), {"decision": "approve"}, headers=HTMX
    )
    assert "The review has not been submitted yet." in response.content.decode()


# --- Deciding -----------------------------------------------------------------------


def test_it_refuses_go_listing_who_has_not_approved(client_as, lead, sponsor, submitted_review):
    services.approval_record(review=submitted_review, approver=lead, decision="approve")
    response = client_as(lead).post(
        url(submitted_review, "decision/"),
        {"decision": "go", "rationale": "", **_empty_conditions()},
        headers=HTMX,
    )
    assert response["HX-Retarget"] == "#flash"
    body = response.content.decode()
    assert "Go cannot be recorded yet." in body
    assert "<li>Sam Sponsor has not approved yet.</li>" in body
    assert "Lena Lead has not approved" not in body
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED


def test_it_refuses_a_decision_by_the_sponsor(client_as, sponsor, submitted_review):
    response = client_as(sponsor).post(
        url(submitted_review, "decision/"), {"decision": "kill", "rationale": "No."}, headers=HTMX
    )
    assert "Only the chair of this gate (Lena Lead) records its decision." in (
        response.content.decode()
    )
    submitted_review.use_case.refresh_from_db()
    assert submitted_review.use_case.status == Status.ACTIVE


def test_it_records_go_and_moves_the_use_case(client_as, lead, sponsor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    response = client_as(lead).post(
        url(review, "decision/"),
        {"decision": "go", "rationale": "Evidence holds.", **_empty_conditions()},
    )
    assert response.status_code == 302
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
    body = client_as(lead).get(url(review)).content.decode()
    assert 'class="badge badge-go">Go' in body
    assert "Evidence holds." in body
    assert "Record decision" not in body


def test_it_asks_for_a_rationale_inline_for_hold(client_as, lead, submitted_review):
    response = client_as(lead).post(
        url(submitted_review, "decision/"),
        {"decision": "hold", **_empty_conditions()},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="decision-panel"')
    assert "A rationale is required to record Hold." in body


def test_it_records_conditional_go_with_conditions(client_as, lead, sponsor, techlead, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    data = {
        "decision": "conditional_go",
        "rationale": "Go, once monitoring is in place.",
        **_empty_conditions(),
        "conditions-0-description": "Set up drift monitoring",
        "conditions-0-owner": str(techlead.pk),
        "conditions-0-due_date": due,
    }
    response = client_as(lead).post(url(review, "decision/"), data)
    assert response.status_code == 302
    condition = GateCondition.objects.get(review=review)
    assert condition.owner == techlead
    assert condition.due_date.isoformat() == due
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC


def test_it_refuses_a_condition_row_without_an_owner_with_its_number(
    client_as, lead, sponsor, use_case
):
    review = ready_for_decision(use_case, lead, sponsor)
    data = {
        "decision": "conditional_go",
        "rationale": "Go.",
        **_empty_conditions(),
        "conditions-0-description": "Set up drift monitoring",
    }
    response = client_as(lead).post(url(review, "decision/"), data, headers=HTMX)
    assert "Condition 1 needs an active owner." in response.content.decode()
    assert not GateCondition.objects.exists()


def test_it_lets_the_owner_close_a_condition(client_as, lead, sponsor, techlead, use_case):
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
    condition = GateCondition.objects.get(review=review)
    assert "Close condition" not in client_as(sponsor).get(url(review)).content.decode()
    assert "Close condition" in client_as(techlead).get(url(review)).content.decode()
    response = client_as(techlead).post(
        f"/conditions/{condition.pk}/close/", {"note": "Dashboards live."}
    )
    assert response.status_code == 302
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.CLOSED
    assert condition.closed_by == techlead


def test_it_makes_a_killed_use_case_read_only(client_as, lead, sponsor, submitted_review):
    services.gate_decide(
        review=submitted_review, by=lead, decision="kill", rationale="No value.", **KILL_EXIT
    )
    body = client_as(lead).get(url(submitted_review)).content.decode()
    assert "This use case was killed at a gate" in body
    for action in (
        ">Assess</a>",
        "Submit for approval</button>",
        "Record my decision",
        "Record decision",
        "Upload evidence",
    ):
        assert action not in body
    response = client_as(sponsor).post(
        url(submitted_review, "approval/"), {"decision": "approve"}, headers=HTMX
    )
    assert "read-only" in response.content.decode()


# --- Opening a review, resuming ------------------------------------------------------


def test_it_opens_the_next_review_for_a_lead(client_as, lead, use_case):
    response = client_as(lead).post(f"/use-cases/{use_case.pk}/open-review/")
    review = GateReview.objects.get(use_case=use_case)
    assert response.status_code == 302
    assert response["Location"] == url(review)
    assert review.chair == lead and review.gate_number == 1


def test_it_opens_a_review_with_named_approvers(client_as, lead, techlead, use_case):
    response = client_as(lead).post(
        f"/use-cases/{use_case.pk}/open-review/", {"role_sponsor": [techlead.pk]}
    )
    assert response.status_code == 302
    review = GateReview.objects.get(use_case=use_case)
    assert set(review.approvers.values_list("user__username", flat=True)) == {"lead", "techlead"}


def test_it_refuses_to_open_a_review_for_a_sponsor(client_as, sponsor, use_case):
    client = client_as(sponsor)
    response = client.post(
        f"/use-cases/{use_case.pk}/open-review/",
        headers={"referer": f"/use-cases/{use_case.pk}/"},
        follow=True,
    )
    assert "Only a program lead opens and chairs gate reviews." in response.content.decode()
    assert not GateReview.objects.exists()


def test_it_refuses_a_second_open_review_saying_which(client_as, lead, open_review, use_case):
    response = client_as(lead).post(f"/use-cases/{use_case.pk}/open-review/", headers=HTMX)
    body = response.content.decode()
    assert "This use case already has an open review." in body
    assert f"Gate 1 review #{open_review.pk}" in body


def test_it_refuses_to_open_when_nobody_holds_a_role(client_as, lead, business_unit, sponsor):
    from tests.factories import UseCaseFactory

    orphan = UseCaseFactory(business_unit=business_unit)  # no sponsor on it
    response = client_as(lead).post(f"/use-cases/{orphan.pk}/open-review/", headers=HTMX)
    assert "Nobody holds the role “Business unit sponsor”" in response.content.decode()


def test_it_resumes_a_use_case_on_hold(client_as, lead, submitted_review, use_case):
    services.gate_decide(review=submitted_review, by=lead, decision="hold", rationale="Budget.")
    response = client_as(lead).post(f"/use-cases/{use_case.pk}/resume/", {"note": "Funded."})
    assert response.status_code == 302
    use_case.refresh_from_db()
    assert use_case.status == Status.ACTIVE


# --- The gate panel and the audit page -------------------------------------------------


def test_it_offers_the_lead_to_open_the_next_gate(client_as, lead, sponsor, use_case):
    body = client_as(lead).get(use_case.get_absolute_url()).content.decode()
    assert "Open Gate 1 review" in body
    assert (
        "Open Gate 1 review"
        not in client_as(sponsor).get(use_case.get_absolute_url()).content.decode()
    )


def test_it_lists_past_decisions_and_the_stage_history(client_as, lead, sponsor, use_case):
    review = pass_gate(use_case, lead, sponsor)
    body = client_as(sponsor).get(use_case.get_absolute_url()).content.decode()
    assert "Past reviews" in body
    assert f'href="/reviews/{review.pk}/"' in body
    assert "Discovery → POC" in body
    assert "Open Gate 2 review" not in body


def test_it_lists_the_audit_trail_newest_first(client_as, lead, open_review, use_case):
    response = client_as(lead).get(f"/use-cases/{use_case.pk}/audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "review.opened" in body
    assert "Opened the Gate 1 review (template v1)" in body


def test_it_answers_the_audit_pages_as_a_fragment_for_htmx(client_as, lead, open_review, use_case):
    response = client_as(lead).get(f"/use-cases/{use_case.pk}/audit/?page=1", headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="audit-table">')


def test_it_hides_the_audit_trail_from_an_outsider(client_as, outsider, use_case):
    assert client_as(outsider).get(f"/use-cases/{use_case.pk}/audit/").status_code == 404


def _empty_conditions() -> dict[str, str]:
    return {
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "20",
    }


def test_it_shows_the_review_to_a_named_approver_with_no_role_on_the_use_case(
    client_as, lead, sponsor, cio, risk, buhead, use_case
):
    from tests.gates.helpers import pass_gate, upload_required

    pass_gate(use_case, lead, sponsor)
    pass_gate(use_case, lead, sponsor)
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)

    response = client_as(cio).get(review.get_absolute_url())
    assert response.status_code == 200
    assert client_as(cio).get(use_case.get_absolute_url()).status_code == 200
    # Risk and compliance approve Gate 3 only for high-risk or regulated use
    # cases, but read every use case (they classify its risk).
    assert not review.approvers.filter(user=risk).exists()
    assert client_as(risk).get(review.get_absolute_url()).status_code == 200
