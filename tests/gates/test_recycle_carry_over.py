"""A review opened after its gate was decided Recycle starts from the recycled
review's assessments: status, evidence, linked artifacts and who assessed
them, marked as carried over until the team assesses them again."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from gates import services
from gates.models import AssessmentStatus, ReviewStatus
from readiness import services as readiness
from tests.gates.helpers import isolate, upload_required
from tests.reporting.test_pack_kpi_wording import generated_pack_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def recycled(use_case, lead, sponsor):
    """Gate 1 decided Recycle with the first criterion met (evidence and a
    linked artifact), the second not met, the rest never assessed."""
    review = services.review_open(use_case=use_case, by=lead)
    artifacts = upload_required(review, sponsor)
    criteria = list(review.criteria.order_by("order", "id"))
    assert len(criteria) >= 3
    services.criterion_assess(
        review=review,
        criterion=criteria[0],
        by=sponsor,
        status=AssessmentStatus.MET,
        evidence="Baseline measured on 400 claims.",
        artifacts=[artifacts[0]],
    )
    services.criterion_assess(
        review=review,
        criterion=criteria[1],
        by=sponsor,
        status=AssessmentStatus.NOT_MET,
        evidence="No data owner named yet.",
    )
    services.gate_decide(
        review=review, by=lead, decision="recycle", rationale="Name a data owner first."
    )
    review.refresh_from_db()
    return review, criteria, artifacts


def test_it_carries_the_assessments_of_the_recycled_review(lead, sponsor, recycled):
    old, old_criteria, artifacts = recycled

    new = services.review_open(use_case=old.use_case, by=lead)
    old_criteria[0].refresh_from_db()

    assert new.carried_from == old
    assert old_criteria[0].assessed_at is not None
    criteria = list(new.criteria.order_by("order", "id"))
    first, second, rest = criteria[0], criteria[1], criteria[2:]
    assert (first.status, first.evidence) == ("met", "Baseline measured on 400 claims.")
    assert (first.assessed_by, first.assessed_at) == (sponsor, old_criteria[0].assessed_at)
    assert list(first.artifacts.all()) == [artifacts[0]]
    assert (first.carried_over, first.carried_from) == (True, old_criteria[0])
    assert (second.status, second.evidence, second.carried_over) == (
        "not_met",
        "No data owner named yet.",
        True,
    )
    for criterion in rest:
        assert (criterion.status, criterion.carried_over, criterion.carried_from) == (
            "pending",
            False,
            None,
        )
    # The recycled review itself is untouched.
    assert list(old_criteria[0].artifacts.all()) == [artifacts[0]]


def test_the_opening_audit_lists_what_was_carried(lead, recycled):
    old, old_criteria, artifacts = recycled

    new = services.review_open(use_case=old.use_case, by=lead)

    event = AuditEvent.objects.filter(action="review.opened", object_id=str(new.pk)).get()
    assert event.payload["carried_from"] == old.pk
    assert event.payload["carried_over"] == [
        {
            "criterion": old_criteria[0].name,
            "from": old_criteria[0].pk,
            "status": "met",
            "artifacts": [artifacts[0].pk],
        },
        {
            "criterion": old_criteria[1].name,
            "from": old_criteria[1].pk,
            "status": "not_met",
            "artifacts": [],
        },
    ]


def test_assessing_a_carried_criterion_clears_the_mark(lead, techlead, recycled):
    old, _, _ = recycled
    new = services.review_open(use_case=old.use_case, by=lead)
    second = new.criteria.order_by("order", "id")[1]

    services.criterion_assess(
        review=new,
        criterion=second,
        by=techlead,
        status=AssessmentStatus.MET,
        evidence="Dana Data owns the claims data.",
    )

    second.refresh_from_db()
    assert (second.status, second.assessed_by, second.carried_over) == ("met", techlead, False)
    assert new.criteria.filter(carried_over=True).count() == 1


def test_carried_assessments_count_as_assessed(lead, sponsor, recycled):
    old, _, _ = recycled
    new = services.review_open(use_case=old.use_case, by=lead)

    blockers = services.submission_blockers(new)

    names = [c.name for c in new.criteria.order_by("order", "id")]
    assert f"Criterion not assessed: {names[0]}" not in blockers
    assert f"Criterion not assessed: {names[1]}" not in blockers
    assert f"Criterion not assessed: {names[2]}" in blockers


def test_nothing_is_carried_after_a_decision_other_than_recycle(lead, sponsor, use_case):
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    criterion = review.criteria.order_by("order").first()
    services.criterion_assess(
        review=review, criterion=criterion, by=sponsor, status="met", evidence="Shown."
    )
    services.gate_decide(review=review, by=lead, decision="hold", rationale="Budget freeze.")
    services.usecase_resume(use_case=use_case, by=lead, note="Budget back.")

    new = services.review_open(use_case=use_case, by=lead)

    assert new.carried_from is None
    assert not new.criteria.filter(carried_over=True).exists()
    assert set(new.criteria.values_list("status", flat=True)) == {"pending"}
    event = AuditEvent.objects.filter(action="review.opened", object_id=str(new.pk)).get()
    assert "carried_over" not in event.payload


def test_a_criterion_assessed_from_a_kpi_is_not_carried(lead, sponsor, use_case):
    review = services.review_open(use_case=use_case, by=lead)
    criterion = review.criteria.order_by("order").first()
    kpi = readiness.kpi_create(
        use_case=use_case,
        by=lead,
        name="Adoption",
        kind="leading",
        target="60",
        direction="higher",
        unit="%",
        baseline="0",
    )
    readiness.kpi_measurement_record(kpi=kpi, by=sponsor, value="70", measured_at="2026-10-25")
    readiness.kpi_rule_bind(
        review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    services.gate_decide(review=review, by=lead, decision="recycle", rationale="Not yet.")

    new = services.review_open(use_case=use_case, by=lead)

    first = new.criteria.order_by("order").first()
    assert (first.status, first.carried_over) == ("pending", False)
    assert new.carried_from == review


def test_the_review_endpoint_marks_the_carried_criteria(api_as, lead, sponsor, recycled):
    old, _, _ = recycled
    new = services.review_open(use_case=old.use_case, by=lead)

    body = api_as(sponsor).get(f"/api/v1/reviews/{new.pk}/").json()

    assert body["carried_from"] == old.pk
    marks = [(c["carried_over"], c["carried_from_review"]) for c in body["criteria"]]
    assert marks[:2] == [(True, old.pk), (True, old.pk)]
    assert set(marks[2:]) == {(False, None)}


def test_the_review_page_marks_the_carried_criteria(client_as, lead, sponsor, recycled):
    old, _, _ = recycled
    new = services.review_open(use_case=old.use_case, by=lead)
    first = new.criteria.order_by("order", "id")[0]

    body = client_as(sponsor).get(f"/reviews/{new.pk}/").content.decode()

    row = body[body.index(f'id="criterion-{first.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f"Carried over from review #{old.pk}, assessed by Sam Sponsor on" in row
    assert body.count("Carried over from review #") == 2
    assert f'Started from the recycled <a href="/reviews/{old.pk}/">review #{old.pk}</a>' in body


def test_the_pack_notes_the_carried_criteria(
    api_as, lead, sponsor, recycled, django_capture_on_commit_callbacks
):
    old, _, _ = recycled
    new = services.review_open(use_case=old.use_case, by=lead)
    assert new.status == ReviewStatus.OPEN

    text = generated_pack_text(api_as, lead, new, django_capture_on_commit_callbacks)

    assert text.count(f"Carried over from review #{old.pk}") == 2
