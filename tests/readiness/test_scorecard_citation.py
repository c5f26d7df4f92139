"""The PoC scorecard cited as a Gate 2 criterion's evidence: from the review
page's assessment form and through the API; shown on the row, in the review
endpoint and in the gate pack; refusals change nothing."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from gates import services as gate_services
from gates.models import AssessmentStatus
from readiness import services
from readiness.models import ScorecardItem
from reporting.pack_data import pack_data
from tests.factories import UseCaseFactory
from tests.readiness.helpers import to_poc
from usecases.models import Stage

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def scores(values):
    items = list(ScorecardItem.objects.order_by("order"))
    return {item.pk: value for item, value in zip(items, values, strict=True)}


@pytest.fixture
def gate2(use_case, lead, sponsor, cio):
    to_poc(use_case, lead, sponsor)
    review = gate_services.review_open(use_case=use_case, by=lead)
    services.scorecard_save(use_case=use_case, by=sponsor, scores=scores((3,) * 6))
    card = services.scorecard_save(use_case=use_case, by=sponsor, scores=scores((5, 5, 4, 4, 4, 4)))
    criterion = review.criteria.get(name="Technical performance")
    return review, criterion, card


def assess_url(review, criterion) -> str:
    return f"/reviews/{review.pk}/criteria/{criterion.pk}/"


def test_the_form_offers_the_latest_scorecard(client_as, sponsor, gate2):
    review, criterion, _ = gate2
    body = client_as(sponsor).get(assess_url(review, criterion), headers=HTMX).content.decode()
    assert "Cite the PoC scorecard v2: 26/30, Recommended for production" in body


def test_the_form_has_no_citation_without_a_scorecard(client_as, sponsor, lead, use_case, cio):
    review = gate_services.review_open(use_case=use_case, by=lead)
    body = (
        client_as(sponsor)
        .get(assess_url(review, review.criteria.first()), headers=HTMX)
        .content.decode()
    )
    assert "Cite the PoC scorecard" not in body


def test_citing_it_with_the_assessment_shows_it_everywhere(client_as, api_as, sponsor, lead, gate2):
    review, criterion, card = gate2
    response = client_as(sponsor).post(
        assess_url(review, criterion),
        {"status": "met", "evidence": "Accuracy 94% on holdout.", "cite_scorecard": "on"},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="/use-cases/{review.use_case_id}/readiness/#scorecard"' in body
    assert "PoC scorecard v2: 26/30, Recommended for production</a>" in body
    assert list(criterion.scorecards.all()) == [card]
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    event = AuditEvent.objects.get(action="criterion.scorecard_cited")
    assert event.actor == sponsor
    assert "cites PoC scorecard v2" in event.summary

    row = next(
        c
        for c in api_as(lead).get(f"/api/v1/reviews/{review.pk}/").json()["criteria"]
        if c["id"] == criterion.pk
    )
    assert row["scorecards"] == [{"id": card.pk, "version": 2, "total": 26, "band": "recommended"}]
    pack_row = next(c for c in pack_data(review)["criteria"] if c["name"] == criterion.name)
    assert "PoC scorecard v2: 26/30, Recommended for production" in pack_row["artifacts"]


def test_unticking_withdraws_the_citation(client_as, sponsor, gate2):
    review, criterion, card = gate2
    client = client_as(sponsor)
    client.post(
        assess_url(review, criterion),
        {"status": "met", "evidence": "Holdout.", "cite_scorecard": "on"},
    )
    form = client.get(assess_url(review, criterion), headers=HTMX).content.decode()
    assert 'name="cite_scorecard"' in form and "checked" in form
    client.post(assess_url(review, criterion), {"status": "met", "evidence": "Holdout."})
    assert criterion.scorecards.count() == 0
    assert AuditEvent.objects.filter(action="criterion.scorecard_cited").count() == 2


def test_a_refused_assessment_cites_nothing(client_as, sponsor, gate2):
    review, criterion, _ = gate2
    response = client_as(sponsor).post(
        assess_url(review, criterion),
        {"status": "not_a_status", "cite_scorecard": "on"},
        headers=HTMX,
    )
    assert "Select a valid choice." in response.content.decode()
    assert criterion.scorecards.count() == 0


def test_the_api_cites_and_withdraws(api_as, sponsor, gate2):
    review, criterion, card = gate2
    api = api_as(sponsor)
    url = f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/scorecard/"
    cited = api.put(url, {"scorecard": card.pk}, format="json")
    assert cited.status_code == 200
    assert cited.json()["scorecards"] == [
        {"id": card.pk, "version": 2, "total": 26, "band": "recommended"}
    ]
    withdrawn = api.put(url, {"scorecard": None}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["scorecards"] == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{}", "application/json"),
        # A multipart body that holds no form field at all (found by the API fuzz run).
        ("--b\r\n[{}]--b--\r\n", "multipart/form-data; boundary=b"),
    ],
)
def test_the_api_withdraws_only_when_told_to_with_null(api_as, sponsor, gate2, body, content_type):
    review, criterion, card = gate2
    api = api_as(sponsor)
    url = f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/scorecard/"
    assert api.put(url, {"scorecard": card.pk}, format="json").status_code == 200

    response = api.put(url, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["fields"] == {"scorecard": ["This field is required."]}
    assert list(criterion.scorecards.all()) == [card]


def test_the_api_refuses_a_scorecard_of_another_use_case(api_as, sponsor, gate2):
    review, criterion, _ = gate2
    other = UseCaseFactory(title="Another", sponsor=sponsor, stage=Stage.POC)
    foreign = services.scorecard_save(use_case=other, by=sponsor, scores=scores((4,) * 6))
    response = api_as(sponsor).put(
        f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/scorecard/",
        {"scorecard": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "Name a PoC scorecard of this use case" in response.json()["detail"]
    assert criterion.scorecards.count() == 0


def test_the_api_refuses_readers_without_a_role(api_as, executive, gate2):
    review, criterion, card = gate2
    response = api_as(executive).put(
        f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/scorecard/",
        {"scorecard": card.pk},
        format="json",
    )
    assert response.status_code == 403
    assert criterion.scorecards.count() == 0
