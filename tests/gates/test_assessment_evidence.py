"""Honest assessments: the form chooses no status for the team, and "met" or
"partially met" says what shows it (evidence text or a linked artifact), in
the browser and over the API alike."""

from __future__ import annotations

import re

import pytest

from core.models import AuditEvent
from gates.models import AssessmentStatus, GateReview
from tests.gates.helpers import isolate, upload_required

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
REFUSAL_MET = "“Met” needs evidence: say what shows it, or link an artifact of the use case."
REFUSAL_PARTIAL = (
    "“Partially met” needs evidence: say what shows it, or link an artifact of the use case."
)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def form_url(review: GateReview, criterion) -> str:
    return f"/reviews/{review.pk}/criteria/{criterion.pk}/"


def api_url(review: GateReview, criterion) -> str:
    return f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/"


def status_select(body: str, criterion) -> str:
    match = re.search(
        rf'<select name="status"[^>]*id="criterion-{criterion.pk}-status"[^>]*>(.*?)</select>',
        body,
        re.S,
    )
    assert match, "the status field is on the form"
    return match.group(1)


def test_the_form_chooses_no_status_for_an_unassessed_criterion(client_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    body = client_as(sponsor).get(form_url(open_review, criterion), headers=HTMX).content.decode()

    options = status_select(body, criterion)
    assert '<option value="" selected>Choose an assessment</option>' in options
    assert options.count("selected") == 1
    assert re.search(r'<select name="status"[^>]*required', body)


def test_the_form_shows_the_status_already_recorded(client_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    client = client_as(sponsor)
    client.post(form_url(open_review, criterion), {"status": "not_met", "evidence": ""})

    body = client.get(form_url(open_review, criterion), headers=HTMX).content.decode()

    assert '<option value="not_met" selected>Not met</option>' in status_select(body, criterion)


def test_the_form_refuses_a_missing_status(client_as, sponsor, open_review):
    criterion = open_review.criteria.first()
    response = client_as(sponsor).post(
        form_url(open_review, criterion), {"status": "", "evidence": "Minutes."}
    )

    assert response.status_code == 400
    assert "Choose an assessment." in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING


@pytest.mark.parametrize(
    ("status", "message"),
    [("met", REFUSAL_MET), ("partially_met", REFUSAL_PARTIAL)],
)
def test_the_form_refuses_met_without_evidence_next_to_the_field(
    client_as, sponsor, open_review, status, message
):
    criterion = open_review.criteria.first()
    response = client_as(sponsor).post(
        form_url(open_review, criterion), {"status": status, "evidence": "   "}, headers=HTMX
    )

    assert response.status_code == 200
    body = response.content.decode()
    # Django renders a field's errors inside its group, before its widget.
    group_start = body.rindex(
        "<div", 0, body.index(f'<label for="criterion-{criterion.pk}-evidence"')
    )
    evidence_group = body[group_start : body.index(f'id="criterion-{criterion.pk}-evidence"')]
    assert message in evidence_group
    criterion.refresh_from_db()
    assert (criterion.status, criterion.evidence, criterion.assessed_by) == ("pending", "", None)
    assert not AuditEvent.objects.filter(action="criterion.assessed").exists()


def test_the_form_takes_a_linked_artifact_as_the_evidence(client_as, sponsor, open_review):
    artifact = upload_required(open_review, sponsor)[0]
    criterion = open_review.criteria.first()
    response = client_as(sponsor).post(
        form_url(open_review, criterion),
        {"status": "partially_met", "evidence": "", "artifacts": [artifact.pk]},
    )

    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PARTIALLY_MET
    assert list(criterion.artifacts.all()) == [artifact]


@pytest.mark.parametrize("status", ["not_met", "not_applicable"])
def test_not_met_and_not_applicable_need_no_evidence(api_as, sponsor, open_review, status):
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        api_url(open_review, criterion), {"status": status}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("status", "message"),
    [("met", REFUSAL_MET), ("partially_met", REFUSAL_PARTIAL)],
)
def test_the_api_refuses_met_without_evidence_naming_the_field(
    api_as, sponsor, open_review, status, message
):
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        api_url(open_review, criterion), {"status": status, "evidence": ""}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"evidence": [message]}
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING


def test_the_api_takes_a_linked_artifact_as_the_evidence(api_as, sponsor, open_review):
    artifact = upload_required(open_review, sponsor)[0]
    criterion = open_review.criteria.first()
    response = api_as(sponsor).patch(
        api_url(open_review, criterion),
        {"status": "met", "artifacts": [artifact.pk]},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["artifacts"]) == ("met", [artifact.pk])


def test_the_api_refuses_to_strip_the_evidence_of_a_met_criterion(api_as, sponsor, open_review):
    artifact = upload_required(open_review, sponsor)[0]
    criterion = open_review.criteria.first()
    client = api_as(sponsor)
    path = api_url(open_review, criterion)
    client.patch(path, {"status": "met", "evidence": "CFO signed.", "artifacts": [artifact.pk]})

    # Dropping the text keeps the linked artifact: still evidenced.
    assert client.patch(path, {"evidence": ""}, format="json").status_code == 200
    response = client.patch(path, {"artifacts": []}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["evidence"]
    criterion.refresh_from_db()
    assert list(criterion.artifacts.all()) == [artifact]
