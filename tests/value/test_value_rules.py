"""A criterion bound to the use case's value ("3-year ROI ≥ 0") is assessed
from the figures while its review is open, again whenever they change, and
refuses hand assessments (service, API, page) until unbound with a reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services as gate_services
from gates.models import AssessmentStatus
from readiness import services as readiness_services
from tests.readiness.helpers import pilot_adoption
from usecases.models import Stage
from value.models import Benefit, CostLine, ValueRule
from value.services import rules

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def money(use_case, by, *, invested: str = "100000", benefit: str = "50000") -> None:
    """A PoC development actual and one benefit line: ROI = (3 × benefit −
    invested) / invested, so 50% with the defaults."""
    CostLine.objects.create(
        use_case=use_case,
        stage=Stage.POC,
        category="development",
        actual=Decimal(invested),
        updated_by=by,
    )
    Benefit.objects.create(
        use_case=use_case, name="Faster triage", annual_amount=Decimal(benefit), created_by=by
    )


@pytest.fixture
def criterion(open_review):
    return open_review.criteria.order_by("order").first()


def _bind(criterion, by, metric="roi_3y", operator=">=", threshold="0"):
    return rules.value_rule_bind(
        review_criterion=criterion, by=by, metric=metric, operator=operator, threshold=threshold
    )


def test_a_roi_rule_assesses_the_criterion_met_with_the_figures_as_evidence(
    use_case, criterion, lead
):
    money(use_case, lead)

    rule = _bind(criterion, lead)

    criterion.refresh_from_db()
    assert rule.label == "3-year ROI (%) ≥ 0"
    assert criterion.status == AssessmentStatus.MET
    assert criterion.evidence == "3-year ROI 50% (rule: 3-year ROI (%) ≥ 0)"
    assert criterion.assessed_by == lead
    assert AuditEvent.objects.filter(action="value_rule.bound").count() == 1


def test_it_is_not_met_below_the_threshold_and_again_when_the_figures_change(
    use_case, criterion, lead, sponsor
):
    money(use_case, lead, benefit="30000")  # 90,000 back on 100,000: -10%
    _bind(criterion, lead)
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence.startswith("3-year ROI -10%")

    Benefit.objects.create(
        use_case=use_case, name="Fewer errors", annual_amount=Decimal("10000"), created_by=lead
    )
    rules.value_rules_reassess(use_case=use_case, by=sponsor)

    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET  # 120,000 back: +20%
    assert criterion.assessed_by == sponsor


def test_without_any_cost_roi_cannot_be_computed_and_the_rule_does_not_hold(criterion, lead):
    _bind(criterion, lead)

    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence.startswith("3-year ROI not computable: no cost recorded")


def test_payback_and_npv_rules(use_case, criterion, lead):
    money(use_case, lead)  # 100,000 back at 50,000 a year: month 24

    _bind(criterion, lead, metric="payback_month", operator="<=", threshold="24")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert criterion.evidence == "Payback in month 24 (rule: Payback month ≤ 24)"

    _bind(criterion, lead, metric="npv", operator=">=", threshold="1000000")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence.startswith("NPV ")
    assert ValueRule.objects.count() == 1


def test_hand_assessment_is_refused_while_bound(use_case, open_review, criterion, lead):
    money(use_case, lead, benefit="30000")
    _bind(criterion, lead)
    before = AuditEvent.objects.count()

    with pytest.raises(TransitionRefused) as caught:
        gate_services.criterion_assess(
            review=open_review, criterion=criterion, by=lead, status="met", evidence="Trust me."
        )

    assert caught.value.message == (
        f"“{criterion.name}” is assessed from the value rule “3-year ROI (%) ≥ 0”."
    )
    assert AuditEvent.objects.count() == before
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET


def test_the_api_and_the_page_refuse_hand_assessment_too(
    use_case, open_review, criterion, lead, api_as, client_as
):
    _bind(criterion, lead)
    response = api_as(lead).patch(
        f"/api/v1/reviews/{open_review.pk}/criteria/{criterion.pk}/",
        {"status": "met", "evidence": "Trust me."},
        format="json",
    )
    assert response.status_code == 409
    assert "value rule" in response.json()["detail"]

    page = client_as(lead).post(
        f"/reviews/{open_review.pk}/criteria/{criterion.pk}/",
        {"status": "met", "evidence": "Trust me."},
        headers=HTMX,
    )
    assert page["HX-Retarget"] == "#flash"
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET


def test_after_unbinding_with_a_reason_it_is_assessed_by_hand(open_review, criterion, lead):
    _bind(criterion, lead)
    with pytest.raises(InvalidInput):
        rules.value_rule_unbind(review_criterion=criterion, by=lead, reason="  ")

    rules.value_rule_unbind(review_criterion=criterion, by=lead, reason="Costs are not final.")

    assert not ValueRule.objects.exists()
    event = AuditEvent.objects.get(action="value_rule.unbound")
    assert event.payload["reason"] == "Costs are not final."
    gate_services.criterion_assess(
        review=open_review, criterion=criterion, by=lead, status="met", evidence="Signed off."
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    with pytest.raises(TransitionRefused):
        rules.value_rule_unbind(review_criterion=criterion, by=lead, reason="Again.")


@pytest.mark.parametrize("who", ["sponsor", "techlead", "executive", "outsider"])
def test_only_program_leads_bind(criterion, request, who):
    with pytest.raises(PermissionRefused):
        _bind(criterion, request.getfixturevalue(who))
    assert not ValueRule.objects.exists()


@pytest.mark.parametrize(
    ("metric", "operator", "threshold", "field"),
    [
        ("irr", ">=", "0", "metric"),
        ("roi_3y", "=", "0", "operator"),
        ("roi_3y", ">=", "lots", "threshold"),
        ("roi_3y", ">=", "0.001", "threshold"),
        ("roi_3y", ">=", "1e20", "threshold"),
    ],
)
def test_bad_input_is_refused(criterion, lead, metric, operator, threshold, field):
    with pytest.raises(InvalidInput) as caught:
        _bind(criterion, lead, metric=metric, operator=operator, threshold=threshold)
    assert caught.value.field == field
    assert not ValueRule.objects.exists()


def test_a_review_no_longer_open_is_refused(submitted_review, lead):
    criterion = submitted_review.criteria.first()
    with pytest.raises(TransitionRefused) as caught:
        _bind(criterion, lead)
    assert (
        caught.value.message
        == "A criterion is bound to the use case's value only while its review is open."
    )


def test_a_kpi_bound_criterion_is_refused(use_case, criterion, lead, sponsor):
    kpi = pilot_adoption(use_case, sponsor)
    readiness_services.kpi_rule_bind(
        review_criterion=criterion, kpi=kpi, by=sponsor, operator=">=", threshold="60"
    )
    with pytest.raises(TransitionRefused) as caught:
        _bind(criterion, lead)
    assert "KPI rule" in caught.value.message


# --- API ------------------------------------------------------------------------------


def url(review, criterion):
    return f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/value-rule/"


def test_the_api_binds_and_the_review_endpoint_shows_the_rule_and_the_figure(
    use_case, open_review, criterion, lead, api_as
):
    money(use_case, lead)
    api = api_as(lead)

    response = api.put(
        url(open_review, criterion),
        {"metric": "roi_3y", "operator": ">=", "threshold": "0"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "met"
    assert body["rule"]["label"] == "3-year ROI (%) ≥ 0"
    assert body["rule"]["current"] == "3-year ROI 50%"
    assert body["rule"]["holds"] is True
    review = api.get(f"/api/v1/reviews/{open_review.pk}/").json()
    shown = next(c for c in review["criteria"] if c["id"] == criterion.pk)
    assert shown["value_rule"]["metric"] == "roi_3y"
    assert shown["value_rule"]["current"] == "3-year ROI 50%"
    others = [c for c in review["criteria"] if c["id"] != criterion.pk]
    assert all(c["value_rule"] is None for c in others)


def test_the_api_refuses_in_the_error_shape(
    open_review, criterion, lead, sponsor, api_as, outsider
):
    assert (
        api_as(sponsor)
        .put(url(open_review, criterion), {"metric": "roi_3y", "operator": ">=", "threshold": "0"})
        .status_code
        == 403
    )
    assert api_as(outsider).put(url(open_review, criterion), {}).status_code == 404
    bad = api_as(lead).put(
        url(open_review, criterion),
        {"metric": "irr", "operator": ">=", "threshold": "0"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"detail", "reasons", "fields"}
    assert "metric" in bad.json()["fields"]


def test_the_api_unbinds_with_a_reason(open_review, criterion, lead, api_as):
    _bind(criterion, lead)
    api = api_as(lead)
    assert api.delete(url(open_review, criterion)).status_code == 400
    assert api.delete(url(open_review, criterion) + "?reason=Not+final").status_code == 204
    assert not ValueRule.objects.exists()


# --- The review page ----------------------------------------------------------------


def test_the_page_binds_and_shows_the_rule(use_case, open_review, criterion, lead, client_as):
    money(use_case, lead)
    client = client_as(lead)

    edit = client.get(f"/reviews/{open_review.pk}/criteria/{criterion.pk}/", headers=HTMX)
    assert "Or assess it from the use case's value" in edit.content.decode()

    response = client.post(
        f"/reviews/{open_review.pk}/criteria/{criterion.pk}/value-rule/",
        {"metric": "roi_3y", "operator": ">=", "threshold": "0"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert (
        "Assessed from value: 3-year ROI (%) ≥ 0 · now: 3-year ROI 50%" in response.content.decode()
    )

    page = client.get(f"/reviews/{open_review.pk}/").content.decode()
    assert "Assessed from value: 3-year ROI (%) ≥ 0" in page


def test_the_page_shows_form_errors_in_place_and_refuses_non_leads(
    open_review, criterion, lead, sponsor, client_as
):
    response = client_as(lead).post(
        f"/reviews/{open_review.pk}/criteria/{criterion.pk}/value-rule/",
        {"metric": "roi_3y", "operator": ">=", "threshold": "lots"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()

    refused = client_as(sponsor).post(
        f"/reviews/{open_review.pk}/criteria/{criterion.pk}/value-rule/",
        {"metric": "roi_3y", "operator": ">=", "threshold": "0"},
        headers=HTMX,
    )
    assert refused["HX-Retarget"] == "#flash"
    assert not ValueRule.objects.exists()


def test_the_money_services_reassess_bound_criteria_in_their_transaction(
    use_case, criterion, lead, sponsor
):
    from value.services import benefit_create, cost_lines_set

    money(use_case, lead, benefit="30000")  # -10%
    _bind(criterion, lead)

    benefit_create(use_case=use_case, by=sponsor, name="Fewer errors", annual_amount="10000")
    criterion.refresh_from_db()
    assert (criterion.status, criterion.assessed_by) == (AssessmentStatus.MET, sponsor)  # +20%

    # A further 100,000 planned for the pilot: 120,000 back on 200,000 is -40%.
    cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[{"stage": "pilot", "category": "development", "planned": "100000"}],
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence.startswith("3-year ROI -40%")
