"""The review read takes each row's links with the row (the criteria's
artifacts and controls, the artifact types' controls, the versions pinned at
submission) and finds them among what it reads anyway: what the endpoint,
the page and the pack show must be what is linked, in the same order as
before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates import services
from gates.models import Artifact, Control, ControlFramework, ReviewCriterion
from gates.read_model import review_read
from tests.factories import UseCaseFactory
from tests.gates.helpers import isolate, make_submitted_review, text_file, upload_required


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def _criterion(review) -> ReviewCriterion:
    return review.criteria.order_by("order", "id").first()


def _artifact_elsewhere(review, sponsor, business_unit) -> Artifact:
    """An artifact of the review's first required type, of another use case."""
    return services.artifact_upload(
        use_case=UseCaseFactory(business_unit=business_unit, sponsor=sponsor),
        by=sponsor,
        artifact_type=review.artifact_requirements.first().artifact_type,
        file=text_file("elsewhere.md"),
    )


def test_a_criterions_artifacts_come_by_type_then_newest_version_first(
    api_as, lead, sponsor, uploaded_review
):
    first, second, *_ = upload_required(uploaded_review, sponsor)  # version 2 of each type
    older = Artifact.objects.get(artifact_type=first.artifact_type, version=1)
    criterion = _criterion(uploaded_review)
    services.criterion_assess(
        review=uploaded_review,
        criterion=criterion,
        by=sponsor,
        status="met",
        evidence="See the files.",
        artifacts=[second, older, first],
    )

    body = api_as(lead).get(f"/api/v1/reviews/{uploaded_review.pk}/").json()

    row = next(c for c in body["criteria"] if c["id"] == criterion.pk)
    by_type = sorted(
        [first, older, second], key=lambda a: (a.artifact_type.order, -a.version, a.pk)
    )
    assert row["artifacts"] == [a.pk for a in by_type]
    assert row["artifacts"][:2] == [first.pk, older.pk]  # v2 before v1 of one type


def test_a_link_outside_the_use_cases_artifacts_is_read_not_dropped(
    api_as, lead, sponsor, uploaded_review, business_unit
):
    """Links are to the use case's own artifacts (the service refuses any
    other); one written around it, by a database edit, still shows."""
    foreign = _artifact_elsewhere(uploaded_review, sponsor, business_unit)
    criterion = _criterion(uploaded_review)
    ReviewCriterion.artifacts.through.objects.create(
        reviewcriterion_id=criterion.pk, artifact_id=foreign.pk
    )

    body = api_as(lead).get(f"/api/v1/reviews/{uploaded_review.pk}/").json()

    row = next(c for c in body["criteria"] if c["id"] == criterion.pk)
    assert row["artifacts"] == [foreign.pk]


def test_the_cited_controls_come_in_the_frameworks_order(api_as, lead, uploaded_review):
    # Created out of order: neither their ids nor their reverse is the order.
    eu_50 = Control.objects.create(
        framework=ControlFramework.EU_AI_ACT, reference="Art. 150", title="Tell people"
    )
    nist = Control.objects.create(
        framework=ControlFramework.NIST_AI_RMF, reference="MAP 99.9", title="Map it"
    )
    eu_10 = Control.objects.create(
        framework=ControlFramework.EU_AI_ACT, reference="Art. 110", title="Govern data"
    )
    criterion = _criterion(uploaded_review)
    criterion.controls.set([nist, eu_50, eu_10])
    requirement = uploaded_review.artifact_requirements.select_related("artifact_type").first()
    requirement.artifact_type.controls.set([eu_50, nist, eu_10])

    body = api_as(lead).get(f"/api/v1/reviews/{uploaded_review.pk}/").json()

    ordered = [eu_10.pk, eu_50.pk, nist.pk]
    row = next(c for c in body["criteria"] if c["id"] == criterion.pk)
    assert [c["id"] for c in row["controls"]] == ordered
    required = next(
        r
        for r in body["required_artifacts"]
        if r["artifact_type"]["id"] == requirement.artifact_type_id
    )
    assert [c["id"] for c in required["controls"]] == ordered


def test_the_pinned_versions_are_those_of_the_submission(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)
    pinned = set(review.pinned_artifacts.values_list("pk", flat=True))
    newer = upload_required(review, sponsor)  # uploaded after the submission

    read = review_read(review.pk)

    assert {a.pk for a in read.pinned_artifacts} == pinned
    for required in read.required:
        assert required.pinned.pk in pinned
        assert required.latest.pk in {a.pk for a in newer}
        assert required.shown == required.pinned


def test_a_pinned_version_outside_the_use_cases_artifacts_is_read_not_dropped(
    lead, sponsor, use_case, business_unit
):
    review = make_submitted_review(use_case, lead, sponsor)
    foreign = _artifact_elsewhere(review, sponsor, business_unit)
    review.pinned_artifacts.add(foreign)

    read = review_read(review.pk)

    assert foreign.pk in {a.pk for a in read.pinned_artifacts}


def test_a_review_with_no_links_reads_no_controls(lead, uploaded_review):
    """No cited control anywhere: the controls query is not made."""
    ReviewCriterion.controls.through.objects.filter(
        reviewcriterion__review=uploaded_review
    ).delete()
    for requirement in uploaded_review.artifact_requirements.select_related("artifact_type"):
        requirement.artifact_type.controls.clear()
    with CaptureQueriesContext(connection) as queries:
        read = review_read(uploaded_review.pk)
    assert all(c.cited_controls == [] for c in read.criteria)
    assert not [q for q in queries.captured_queries if 'FROM "gates_control"' in q["sql"]]
