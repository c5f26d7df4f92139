"""The review page and the review endpoint read in a fixed number of queries,
whatever the number of criteria, artifacts and approvers."""

from __future__ import annotations

import pytest

from gates import services
from gates.models import Artifact, ReviewCriterion
from reporting.models import GatePack, PackStatus
from tests.factories import UserFactory
from tests.gates.helpers import PDF_BYTES, RETIRE_EXIT, isolate, named_file
from usecases.models import MemberRole, UseCaseMember

# The same bound at every size: if a row adds a query, 50 rows blow it.
# Measured: page 23 (chair, open review, with the readiness summary of the
# open review, the gate packs panel and the unread count of the bell), 24
# (approver, submitted); API 14. The KPI rules of the criteria are one query
# of their own: readiness attaches them to the gate engine's read. With
# packs on the panel, one read of the pack data (about 20 queries, the same
# at every size) tells which are stale: 43 and 45 measured. The approvers'
# proposed conditions are one more read, and the decision form's people and
# criteria and the proposal rows' criteria one each: 47 and 49 measured.
# The controls the criteria and the required artifact types cite are one
# query each, in the review read (twice on a submitted page: the packs panel
# reads it too): 51 and 53 measured; value's rules on criteria add one per
# read, and the decision form reads the active exit reasons a Kill or Retire
# picks from: one more each (55 measured). The pack data's Value section
# (cost lines, benefits, multipliers, pilot, waves) is five more: 60 and 61.
# The custom field definitions are one more per review read (the page's and
# the pack data's): 63. The use case's newest event, which keys the pack data's
# content hash (PACK_STALENESS_CACHE_SECONDS), is one more: 64.
# Then the review read takes the links of its rows with the rows (the pinned
# versions, the criteria's artifacts and controls, the artifact types'
# controls: gates.read_model.linked_ids) and finds the artifacts among the
# use case's, which it reads anyway, and the controls in one query: three
# fewer per read. The condition rows' criteria come from the criteria the page
# read (core.choices.choices_of), the people without a server-side cursor,
# and a use case without KPIs reads no measurements: 54 and 55 measured.
# The KPI and value rules come joined to the criteria rows (two fewer per
# read) and the checklist's answers to its items (one fewer per readiness
# summary): 48 and 49.
REVIEW_PAGE_MAX_QUERIES = 49
# The endpoint: 17, and 18 for a recertification with the custom field
# definitions; since the read takes the links with the rows, 13, and 15 for a
# decided recertification (who decided, and the exit reason of its Retire);
# with the KPI and value rules joined to the criteria rows, 11 and 13.
REVIEW_API_MAX_QUERIES = 13
# A recertification's page reads more than a gate's: the decision form's
# decommissioning steps, and for a use case in operation the readiness card's
# recertification timing and the review's incidents and drift breaches (61
# measured at both sizes; 66 with the pack data's Value section; 68 with the
# custom field definitions of the two review reads; 69 with the use case's
# newest event; 59 since the read takes the links with the rows; 53 with the
# rules joined to the criteria and the checklist's answers to its items).
RECERTIFICATION_PAGE_MAX_QUERIES = 53
# Views after the first, until the use case's next event: the pack data is
# not read again for its content hash (33 and 34 measured at both sizes; 27
# since the read takes the links with the rows; 24 with the rules joined to
# the criteria and the checklist's answers to its items).
REVIEW_PAGE_KEPT_MAX_QUERIES = 24
# The chair of a submitted review who is also an approver: the condition
# owners and criteria are read once for the proposal rows, the condition rows
# and the meeting's attendees (35 measured before, when each read them; 27
# since the criteria are those the page read; 24 since the rules and the
# checklist's answers are joined).
CHAIR_PAGE_KEPT_MAX_QUERIES = 24
RECERTIFICATION_PAGE_KEPT_MAX_QUERIES = 25


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def grow(review, sponsor, size: int) -> None:
    """``size`` criteria (each linked to two artifacts), ``size`` artifacts
    (several versions of the required types), ``size // 5`` extra approvers."""
    existing = review.criteria.count()
    ReviewCriterion.objects.bulk_create(
        ReviewCriterion(
            review=review,
            order=existing + i,
            name=f"Extra criterion {i}",
            requirement="A requirement the team must evidence.",
            must_meet=i % 2 == 0,
            status="met" if i % 3 else "pending",
            evidence="Evidence text." if i % 3 else "",
            assessed_by=sponsor if i % 3 else None,
        )
        for i in range(size - existing)
    )
    types = [r.artifact_type for r in review.artifact_requirements.select_related("artifact_type")]
    for i in range(size - Artifact.objects.filter(use_case=review.use_case).count()):
        services.artifact_upload(
            use_case=review.use_case,
            by=sponsor,
            artifact_type=types[i % len(types)],
            file=named_file(f"evidence-{i}.pdf", PDF_BYTES),
        )
    artifacts = list(Artifact.objects.filter(use_case=review.use_case)[:2])
    Link = ReviewCriterion.artifacts.through
    Link.objects.bulk_create(
        Link(reviewcriterion_id=c.pk, artifact_id=a.pk)
        for c in review.criteria.all()
        for a in artifacts
    )
    for i in range(size // 5):
        user = UserFactory(username=f"approver{size}-{i}")
        UseCaseMember.objects.create(
            use_case=review.use_case, user=user, role=MemberRole.CONTRIBUTOR
        )
        review.approvers.create(user=user, roles=["sponsor"])
    # Gate packs in the panel at the foot of the page: past the panel's limit
    # of ten at the larger size, so the "latest 10 of N" count is read too.
    GatePack.objects.bulk_create(
        GatePack(
            review=review,
            review_revision=review.revision,
            requested_by=sponsor,
            status=PackStatus.FAILED,
            failure_reason="The renderer ran out of memory.",
        )
        for _ in range(size // 4)
    )


def grow_and_submit(review, sponsor, size: int) -> None:
    """``grow``, every criterion met, submitted by the sponsor."""
    grow(review, sponsor, size)
    for criterion in review.criteria.filter(status="pending"):
        services.criterion_assess(
            review=review, criterion=criterion, by=sponsor, status="met", evidence="Ok."
        )
    services.review_submit(review=review, by=sponsor)


@pytest.mark.parametrize("size", [5, 50])
def test_it_reads_the_review_page_in_fixed_queries(
    client_as, lead, sponsor, uploaded_review, size, django_assert_max_num_queries
):
    grow(uploaded_review, sponsor, size)
    client = client_as(lead)
    with django_assert_max_num_queries(REVIEW_PAGE_MAX_QUERIES):
        response = client.get(f"/reviews/{uploaded_review.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('id="criterion-') == size
    assert html.count('id="pack-') == min(size // 4, 10)
    with django_assert_max_num_queries(REVIEW_PAGE_KEPT_MAX_QUERIES):
        again = client.get(f"/reviews/{uploaded_review.pk}/").content.decode()
    assert again.count('id="criterion-') == size
    assert again.count('id="pack-') == min(size // 4, 10)
    assert again.count("stale: the review changed since") == html.count(
        "stale: the review changed since"
    )


@pytest.mark.parametrize("size", [5, 50])
def test_it_reads_the_submitted_review_page_in_fixed_queries(
    client_as, lead, sponsor, uploaded_review, size, django_assert_max_num_queries
):
    grow_and_submit(uploaded_review, sponsor, size)
    client = client_as(sponsor)
    with django_assert_max_num_queries(REVIEW_PAGE_MAX_QUERIES):
        response = client.get(f"/reviews/{uploaded_review.pk}/")
    assert response.status_code == 200
    assert "Record my decision" in response.content.decode()


@pytest.mark.parametrize("size", [5, 50])
def test_the_chairs_page_reads_the_condition_owners_once(
    client_as, lead, sponsor, uploaded_review, size, django_assert_max_num_queries
):
    grow_and_submit(uploaded_review, sponsor, size)
    client = client_as(lead)
    client.get(f"/reviews/{uploaded_review.pk}/")  # the pack data read once
    with django_assert_max_num_queries(CHAIR_PAGE_KEPT_MAX_QUERIES):
        html = client.get(f"/reviews/{uploaded_review.pk}/").content.decode()
    # Every approver is offered as a condition owner in each of the rows (two
    # proposals, three conditions) and as an attendee of the meeting.
    assert 'name="proposals-0-owner"' in html and 'name="conditions-2-owner"' in html
    approvers = list(uploaded_review.approvers.values_list("user_id", flat=True))
    assert len(approvers) == 2 + size // 5
    for user_id in approvers:
        assert html.count(f'value="{user_id}"') >= 2 + 3 + 1, user_id
    assert html.count('name="attendees"') >= len(approvers)


@pytest.mark.parametrize("size", [5, 50])
def test_it_reads_a_returned_review_with_carried_criteria_in_fixed_queries(
    client_as, api_as, lead, sponsor, uploaded_review, size, django_assert_max_num_queries
):
    grow_and_submit(uploaded_review, sponsor, size)
    services.review_return(review=uploaded_review, by=lead, reason="Rework the costs.")
    # Every row marked as carried over: the mark and its review number come
    # with the criteria, not a query per row.
    origin = uploaded_review.criteria.order_by("id").first()
    uploaded_review.criteria.update(carried_over=True, carried_from=origin)
    page_client, api_client = client_as(sponsor), api_as(lead)
    with django_assert_max_num_queries(REVIEW_PAGE_MAX_QUERIES):
        response = page_client.get(f"/reviews/{uploaded_review.pk}/")
    html = response.content.decode()
    assert 'id="return-notice"' in html
    assert html.count("Carried over from review #") == size
    with django_assert_max_num_queries(REVIEW_API_MAX_QUERIES):
        body = api_client.get(f"/api/v1/reviews/{uploaded_review.pk}/").json()
    assert body["returned_by"]["username"] == "lead"
    assert all(c["carried_from_review"] == uploaded_review.pk for c in body["criteria"])


@pytest.mark.parametrize("size", [5, 50])
def test_it_reads_the_review_endpoint_in_fixed_queries(
    api_as, lead, sponsor, uploaded_review, size, django_assert_max_num_queries
):
    grow(uploaded_review, sponsor, size)
    client = api_as(lead)
    with django_assert_max_num_queries(REVIEW_API_MAX_QUERIES):
        response = client.get(f"/api/v1/reviews/{uploaded_review.pk}/")
    assert response.status_code == 200
    assert len(response.json()["criteria"]) == size


@pytest.mark.parametrize("size", [5, 50])
def test_it_reads_the_artifacts_page_in_fixed_queries(
    client_as, lead, sponsor, uploaded_review, size, django_assert_max_num_queries
):
    grow(uploaded_review, sponsor, size)
    client = client_as(lead)
    with django_assert_max_num_queries(8):
        response = client.get(f"/use-cases/{uploaded_review.use_case_id}/artifacts/")
    assert response.status_code == 200


@pytest.mark.parametrize("size", [5, 50])
def test_it_reads_a_recertification_in_fixed_queries(
    client_as,
    api_as,
    lead,
    sponsor,
    techlead,
    cio,
    business_unit,
    size,
    django_assert_max_num_queries,
):
    """The decision form's decommissioning rows are one query, the decided
    checklist none, at any number of criteria and steps."""
    from gates.models import DecommissioningStep
    from tests.factories import UseCaseFactory
    from tests.gates.recertification import checklist, recertification_open

    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    review = recertification_open(use_case, lead, sponsor)
    grow(review, sponsor, size)
    DecommissioningStep.objects.bulk_create(
        DecommissioningStep(order=100 + i, text=f"Extra step {i}") for i in range(size // 5)
    )
    steps = DecommissioningStep.objects.filter(is_active=True).count()
    page_client, api_client = client_as(lead), api_as(lead)
    with django_assert_max_num_queries(RECERTIFICATION_PAGE_MAX_QUERIES):
        html = page_client.get(f"/reviews/{review.pk}/").content.decode()
    # Done and Not applicable, and the note.
    assert html.count('name="step-') == 3 * steps
    with django_assert_max_num_queries(RECERTIFICATION_PAGE_KEPT_MAX_QUERIES):
        again = page_client.get(f"/reviews/{review.pk}/").content.decode()
    assert again.count('name="step-') == 3 * steps
    with django_assert_max_num_queries(REVIEW_API_MAX_QUERIES):
        assert api_client.get(f"/api/v1/reviews/{review.pk}/").json()["is_recertification"]
    with django_assert_max_num_queries(3):
        assert len(api_client.get("/api/v1/decommissioning-steps/").json()) == steps
    services.gate_decide(
        review=review,
        by=lead,
        decision="retire",
        rationale="Ended.",
        decommissioning=checklist(),
        **RETIRE_EXIT,
    )
    with django_assert_max_num_queries(RECERTIFICATION_PAGE_MAX_QUERIES):
        html = page_client.get(f"/reviews/{review.pk}/").content.decode()
    assert 'id="decommissioning-record"' in html
    with django_assert_max_num_queries(REVIEW_API_MAX_QUERIES):
        body = api_client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert len(body["decommissioning"]) == steps
