"""Binding a gate criterion to a KPI rule from the review page, and the API's
unbinding; refusals say why and change nothing."""

from __future__ import annotations

import datetime

import pytest

from core.models import AuditEvent
from gates import services as gate_services
from gates.models import AssessmentStatus
from readiness import services
from readiness.models import KpiRule
from tests.factories import UseCaseFactory
from tests.gates.helpers import upload_required

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)
HTMX = {"HX-Request": "true"}


def rule_url(review, criterion) -> str:
    return f"/reviews/{review.pk}/criteria/{criterion.pk}/kpi-rule/"


def test_the_edit_row_offers_the_use_cases_kpis(client_as, sponsor, adoption):
    review, criterion, kpi = adoption
    body = (
        client_as(sponsor)
        .get(f"/reviews/{review.pk}/criteria/{criterion.pk}/", headers=HTMX)
        .content.decode()
    )
    assert "Or assess it from a KPI" in body
    assert f'<option value="{kpi.pk}">Pilot adoption (%)</option>' in body
    assert "Assess from this KPI" in body


def test_the_edit_row_points_to_the_readiness_page_without_kpis(client_as, sponsor, lead, use_case):
    review = gate_services.review_open(use_case=use_case, by=lead)
    criterion = review.criteria.first()
    body = (
        client_as(sponsor)
        .get(f"/reviews/{review.pk}/criteria/{criterion.pk}/", headers=HTMX)
        .content.decode()
    )
    assert "This use case has no KPIs yet." in body
    assert f'href="/use-cases/{use_case.pk}/readiness/#kpis"' in body


def test_it_binds_the_criterion_and_assesses_it_from_the_latest_measurement(
    client_as, sponsor, adoption
):
    review, criterion, kpi = adoption
    response = client_as(sponsor).post(
        rule_url(review, criterion),
        {"kpi": kpi.pk, "operator": ">=", "threshold": "60"},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Assessed from KPI: Pilot adoption ≥ 60%" in body
    assert "Pilot adoption 64% on 2026-10-20 (rule: ≥ 60%)" in body
    assert 'class="badge badge-met"' in body
    # The submit panel comes along, no longer naming this criterion.
    assert 'id="submit-panel" hx-swap-oob="true"' in body
    assert "Criterion not assessed: Adoption" not in body
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert criterion.assessed_by == sponsor
    assert KpiRule.objects.get(review_criterion=criterion).kpi == kpi
    # The review page shows the binding on the criterion's row.
    page = client_as(sponsor).get(f"/reviews/{review.pk}/").content.decode()
    assert "Assessed from KPI: Pilot adoption ≥ 60%" in page


def test_a_plain_post_redirects_to_the_criterion(client_as, sponsor, adoption):
    review, criterion, kpi = adoption
    response = client_as(sponsor).post(
        rule_url(review, criterion), {"kpi": kpi.pk, "operator": "<=", "threshold": "50"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{review.pk}/#criterion-{criterion.pk}"
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"operator": ">=", "threshold": "abc"}, "Enter a number."),
        ({"operator": "==", "threshold": "60"}, "Select a valid choice. == is not one of"),
        ({"operator": ">=", "threshold": ""}, "This field is required."),
    ],
)
def test_bad_input_comes_back_on_the_form_and_changes_nothing(
    client_as, sponsor, adoption, data, message
):
    review, criterion, kpi = adoption
    response = client_as(sponsor).post(
        rule_url(review, criterion), {"kpi": kpi.pk, **data}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "Or assess it from a KPI" in body
    assert not KpiRule.objects.exists()
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.PENDING


def test_a_kpi_of_another_use_case_is_refused(client_as, sponsor, lead, adoption):
    review, criterion, _ = adoption
    foreign = services.kpi_create(
        use_case=UseCaseFactory(title="Another use case", sponsor=sponsor),
        by=lead,
        name="Foreign KPI",
        kind="lagging",
        unit="",
        baseline=None,
        target="1",
        direction="higher",
    )
    response = client_as(sponsor).post(
        rule_url(review, criterion),
        {"kpi": foreign.pk, "operator": ">=", "threshold": "1"},
        headers=HTMX,
    )
    assert "Select a valid choice." in response.content.decode()
    assert not KpiRule.objects.exists()


def test_a_reader_without_a_role_is_refused_with_the_reason(client_as, executive, adoption):
    review, criterion, kpi = adoption
    response = client_as(executive).post(
        rule_url(review, criterion),
        {"kpi": kpi.pk, "operator": ">=", "threshold": "60"},
        headers=HTMX,
    )
    # The refusal lands in the page's message area.
    assert response["HX-Retarget"] == "#flash"
    assert "change its readiness assessments" in response.content.decode()
    assert not KpiRule.objects.exists()


def test_unbinding_keeps_the_last_assessment_and_is_audited(client_as, sponsor, adoption):
    review, criterion, kpi = adoption
    services.kpi_rule_bind(
        review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
    )
    refused = client_as(sponsor).post(rule_url(review, criterion), {"unbind": "1"}, headers=HTMX)
    assert refused["HX-Retarget"] == "#flash"
    assert "Say why the criterion is to be assessed by hand" in refused.content.decode()
    assert KpiRule.objects.exists()
    response = client_as(sponsor).post(
        rule_url(review, criterion),
        {"unbind": "1", "reason": "The survey tool is down; adoption was counted by hand."},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Assessed from KPI" not in response.content.decode()
    assert not KpiRule.objects.exists()
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    event = AuditEvent.objects.get(action="kpi_rule.unbound")
    assert event.summary == (
        "Criterion “Adoption” no longer assessed from Pilot adoption ≥ 60%: "
        "The survey tool is down; adoption was counted by hand."
    )
    assert event.payload["reason"] == "The survey tool is down; adoption was counted by hand."
    # A new measurement no longer touches it.
    services.kpi_measurement_record(kpi=kpi, by=sponsor, value="10", measured_at="2026-11-02")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET


def test_unbinding_an_unbound_criterion_says_so(client_as, sponsor, adoption):
    review, criterion, _ = adoption
    response = client_as(sponsor).post(
        rule_url(review, criterion), {"unbind": "1", "reason": "By hand."}, headers=HTMX
    )
    assert response["HX-Retarget"] == "#flash"
    assert "This criterion is not bound to a KPI." in response.content.decode()
    assert "“Adoption” is assessed by hand." in response.content.decode()


def test_the_api_unbinds_with_delete(api_as, sponsor, adoption):
    review, criterion, kpi = adoption
    api = api_as(sponsor)
    url = f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/kpi-rule/"
    bound = api.put(url, {"kpi": kpi.pk, "operator": ">=", "threshold": 60}, format="json")
    assert bound.status_code == 200
    assert bound.json()["status"] == "met"
    no_reason = api.delete(url)
    assert no_reason.status_code == 400
    assert no_reason.json()["fields"]["reason"] == [
        "Say why the criterion is to be assessed by hand instead of from its KPI."
    ]
    assert KpiRule.objects.exists()
    assert api.delete(f"{url}?reason=Counted+by+hand").status_code == 204
    assert not KpiRule.objects.exists()
    again = api.delete(f"{url}?reason=Counted+by+hand")
    assert again.status_code == 409
    assert again.json()["detail"] == "This criterion is not bound to a KPI."


def test_a_submitted_review_refuses_a_new_binding(client_as, sponsor, lead, adoption):
    review, criterion, kpi = adoption
    for row in review.criteria.filter(status="pending"):
        gate_services.criterion_assess(
            review=review, criterion=row, by=sponsor, status="met", evidence="Checked."
        )
    upload_required(review, sponsor)
    gate_services.review_submit(review=review, by=sponsor)
    response = client_as(sponsor).post(
        rule_url(review, criterion),
        {"kpi": kpi.pk, "operator": ">=", "threshold": "60"},
        headers=HTMX,
    )
    assert response["HX-Retarget"] == "#flash"
    assert "only while its review is open" in response.content.decode()
    assert not KpiRule.objects.exists()
