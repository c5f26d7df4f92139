"""The dashboard's portfolio value on a small hand-made portfolio: money by
stage, benefits, the ROI and payback distribution, the valley of death and
the four headline answers; who sees what; a query count that does not grow
with the portfolio."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine

from gates import services as gate_services
from gates.models import ExitReason, GateReview
from reporting.value_selectors import (
    NO_REASON,
    payback_bucket,
    payback_month,
    portfolio_value,
    roi_bucket,
)
from tests.factories import UseCaseFactory, UserFactory
from tests.gates.helpers import KILL_EXIT, make_open_review, pass_gate
from value import finance
from value.models import Benefit, BenefitRealisation, CostLine

pytestmark = pytest.mark.django_db

BUILT_AT = datetime.datetime(2025, 5, 12, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def read_every_time(settings):
    """Each test reads its own figures; the test of the cache turns it on."""
    settings.VALUE_DASHBOARD_CACHE_SECONDS = 0


def line(use_case, by, stage, category, planned=None, actual=None):
    return CostLine.objects.create(
        use_case=use_case,
        stage=stage,
        category=category,
        planned=None if planned is None else D(planned),
        actual=None if actual is None else D(actual),
        updated_by=by,
    )


def kill(use_case, lead, sponsor, *, gates_passed: int, days: int, reason: str | None):
    """Pass ``gates_passed`` gates, then kill at the next one ``days`` after
    BUILT_AT with ``reason``. ``None`` stands for a kill recorded before Kill
    took a reason: test set-up clears it with a queryset update."""
    with time_machine.travel(BUILT_AT + datetime.timedelta(days=days), tick=False):
        for _ in range(gates_passed):
            pass_gate(use_case, lead, sponsor)
            use_case.refresh_from_db()
        review = make_open_review(use_case, lead)
        gate_services.gate_decide(
            review=review,
            by=lead,
            decision="kill",
            rationale="Stop.",
            exit_reason=reason or "no-business-value",
            lessons_learned="Test the riskiest assumption first.",
        )
    if reason is None:
        GateReview.objects.filter(pk=review.pk).update(exit_reason=None)


@pytest.fixture
def portfolio(lead, sponsor, techlead, business_unit):
    """A (POC), B (Pilot), G (Discovery) in play; C killed at Gate 1 for data
    quality after 10 days; D killed at Gate 2 with no reason recorded after
    30 days; E killed at Gate 2 for cost after 50 days; F without money."""
    with time_machine.travel(BUILT_AT, tick=False):
        cases = {
            key: UseCaseFactory(
                title=f"Case {key}",
                business_unit=business_unit,
                sponsor=sponsor,
                technical_lead=techlead,
            )
            for key in "ABCDEFG"
        }
        pass_gate(cases["A"], lead, sponsor)
        pass_gate(cases["B"], lead, sponsor)
        cases["B"].refresh_from_db()
        pass_gate(cases["B"], lead, sponsor)
    a, b, g = cases["A"], cases["B"], cases["G"]
    line(a, lead, "discovery", "development", planned=10000, actual=8000)
    line(a, lead, "poc", "development", planned=40000, actual=50000)
    line(a, lead, "poc", "infrastructure", actual=10000)
    line(a, lead, "pilot", "development", planned=120000)
    line(a, lead, "production", "development", planned=200000)
    line(a, lead, "production", "operations_annual", planned=30000)
    hours = Benefit.objects.create(
        use_case=a, name="Hours saved", annual_amount=D(200000), created_by=lead
    )
    BenefitRealisation.objects.create(
        benefit=hours, period_end="2025-04-30", amount=D(12000), recorded_by=lead
    )
    BenefitRealisation.objects.create(
        benefit=hours, period_end="2025-05-31", amount=D(8000), recorded_by=lead
    )
    line(b, lead, "poc", "data_preparation", actual=20000)
    line(b, lead, "pilot", "infrastructure", planned=60000, actual=30000)
    line(b, lead, "production", "development", planned=100000)
    Benefit.objects.create(use_case=b, name="Fewer errors", annual_amount=D(30000), created_by=lead)
    line(g, lead, "discovery", "development", planned=10000)

    line(cases["C"], lead, "discovery", "development", actual=5000)
    line(cases["D"], lead, "poc", "development", actual=40000)
    line(cases["D"], lead, "poc", "infrastructure", actual=2000)
    line(cases["E"], lead, "poc", "development", actual=30000)
    with time_machine.travel(BUILT_AT, tick=False):
        # Benefits of a killed use case: not in play, not in the stage rows.
        Benefit.objects.create(
            use_case=cases["E"], name="Never came", annual_amount=D(99000), created_by=lead
        )
    kill(cases["C"], lead, sponsor, gates_passed=0, days=10, reason="data-quality")
    kill(cases["D"], lead, sponsor, gates_passed=1, days=30, reason=None)
    kill(cases["E"], lead, sponsor, gates_passed=1, days=50, reason="cost")
    return cases


def test_the_headline_answers_the_four_questions(portfolio, lead):
    data = portfolio_value(user=lead)
    # Cost so far: every actual, the killed use cases' included.
    assert data.spent == D(68000 + 50000 + 5000 + 42000 + 30000)
    # Pipeline to production: Pilot and Production one-off plans of A (POC)
    # and B (Pilot); projected from A's PoC development 50,000 x 3-5 and
    # infrastructure 10,000 x 3-6, and B's data preparation 20,000 x 3-6.
    assert data.pipeline_planned == D(120000 + 200000 + 60000 + 100000)
    assert data.pipeline_projected == finance.Range(D(240000), D(430000))
    assert data.pipeline_with_poc_actuals == 2
    # Returned: A's two realisations.
    assert data.realised == D(20000)
    assert data.hypothesis_annual == D(230000)  # in play: A and B, not E
    # Where and why: 3 kills, most at Gate 2, 77,000 spent before them.
    assert data.kills == 3
    assert data.killed_spent == D(77000)
    assert data.top_gate.label == "Gate 2"
    assert data.kill_days == pytest.approx(30)


def test_money_and_benefits_by_stage(portfolio, lead):
    stages = {s.stage.value: s for s in portfolio_value(user=lead).stages}
    poc, pilot, discovery = stages["poc"], stages["pilot"], stages["discovery"]
    assert (poc.use_cases, poc.planned, poc.actual) == (1, D(400000), D(68000))
    assert poc.projected == finance.Range(D(180000), D(310000))
    assert (pilot.use_cases, pilot.planned, pilot.actual) == (1, D(160000), D(50000))
    assert pilot.projected == finance.Range(D(60000), D(120000))
    assert (discovery.use_cases, discovery.planned, discovery.actual) == (1, D(10000), D(0))
    assert discovery.with_poc_actuals == 0
    assert (poc.hypothesis_annual, poc.realised) == (D(200000), D(20000))
    assert (pilot.hypothesis_annual, pilot.realised) == (D(30000), D(0))
    assert stages["production"].use_cases == stages["scale"].use_cases == 0


def test_roi_and_payback_distribution_agree_with_the_returns(portfolio, lead):
    data = portfolio_value(user=lead)
    roi = {b.key: b.count for b in data.roi}
    payback = {b.key: b.count for b in data.payback}
    # A: 388,000 invested, 30,000 a year to run, 200,000 a year back: ROI
    # 25.5%, payback month 28. B: 150,000, nothing to run, 30,000 a year:
    # ROI -40%, month 60. G: 10,000 and no benefit: ROI -100%, never.
    assert roi == {
        "below_-50": 1,
        "-50_0": 1,
        "0_50": 1,
        "50_100": 0,
        "100_200": 0,
        "200_up": 0,
    }
    assert payback == {"0_12": 0, "13_24": 0, "25_36": 1, "37_48": 0, "over_48": 1, "never": 1}
    expected = {
        "A": (D(388000), D(30000), D(200000), D("25.5"), 28),
        "B": (D(150000), D(0), D(30000), D("-40.0"), 60),
        "G": (D(10000), D(0), D(0), D("-100.0"), None),
    }
    for investment, operations, benefits, roi_percent, month in expected.values():
        returns = finance.returns(
            investment=investment,
            operations_annual=operations,
            benefits_annual=benefits,
            discount_rate=D("0.08"),
        )
        assert (returns.roi_percent, returns.payback_month) == (roi_percent, month)
        assert payback_month(investment, operations, benefits) == month


@pytest.mark.parametrize(
    ("investment", "operations", "benefits"),
    [
        (D(0), D(0), D(0)),
        (D(0), D(1000), D(0)),
        (D(0), D(0), D(5000)),
        (D(100000), D(0), D(0)),
        (D(100000), D(50000), D(40000)),
        (D(100000), D(10000), D(10000)),
        (D("123456.78"), D("2345.60"), D("98765.43")),
        (D(50000), D(5000), D(35000)),
        (D(1000), D(0), D(1200)),
        (D(900000), D(0), D(110000)),
        (D(10000), D(0), D(500000)),
    ],
)
def test_the_buckets_follow_the_returns_of_value_finance(investment, operations, benefits):
    returns = finance.returns(
        investment=investment,
        operations_annual=operations,
        benefits_annual=benefits,
        discount_rate=D("0.08"),
    )
    key = roi_bucket(investment, operations, benefits)
    if returns.roi is None:
        assert key is None
    else:
        expected = {
            "below_-50": returns.roi_percent < -50,
            "-50_0": -50 <= returns.roi_percent < 0,
            "0_50": 0 <= returns.roi_percent < 50,
            "50_100": 50 <= returns.roi_percent < 100,
            "100_200": 100 <= returns.roi_percent < 200,
            "200_up": returns.roi_percent >= 200,
        }
        assert expected[key], (key, returns.roi_percent)
    assert payback_month(investment, operations, benefits) == returns.payback_month
    assert payback_bucket(returns.payback_month) == payback_bucket(
        payback_month(investment, operations, benefits)
    )


def test_an_investment_recovered_in_whole_months_pays_back_in_that_month():
    # Counted in cents, exactly: 900,000 back at 100,000 a year is month 108.
    # (value.finance.returns divides the year by 12 in Decimal and its
    # remainder of 1e-22 says 109; the buckets count the exact month.)
    assert payback_month(D(900000), D(0), D(100000)) == 108
    assert payback_month(D(100), D(0), D(100)) == 12
    assert payback_month(D(100), D(0), D("100.01")) == 12


def test_payback_buckets_have_their_edges():
    assert [payback_bucket(m) for m in (0, 12, 13, 24, 25, 36, 37, 48, 49, None)] == [
        "0_12",
        "0_12",
        "13_24",
        "13_24",
        "25_36",
        "25_36",
        "37_48",
        "37_48",
        "over_48",
        "never",
    ]


def test_the_valley_of_death_by_gate_and_reason(portfolio, lead):
    data = portfolio_value(user=lead)
    by_gate = [(r.label, r.kills, round(r.days), r.spent) for r in data.kills_by_gate]
    assert by_gate == [("Gate 1", 1, 10, D(5000)), ("Gate 2", 2, 40, D(72000))]
    by_reason = [(r.key, r.label, r.kills, round(r.days), r.spent) for r in data.kills_by_reason]
    # The taxonomy's order; the kill decided before reasons were recorded last.
    assert by_reason == [
        ("data-quality", "Data quality or availability", 1, 10, D(5000)),
        ("cost", "Cost higher than planned", 1, 50, D(30000)),
        ("none", NO_REASON, 1, 30, D(42000)),
    ]
    assert data.top_reason.key == "data-quality"  # first of the tied, in the taxonomy's order


def test_a_narrower_reader_sees_only_their_use_cases(portfolio, lead):
    reader = UserFactory(username="reader")
    own = UseCaseFactory(title="Reader's own", sponsor=reader)
    line(own, lead, "discovery", "development", planned=7000, actual=1234)
    data = portfolio_value(user=reader)
    assert data.spent == D(1234)
    assert data.kills == 0 and data.kills_by_reason == []
    assert data.realised == D(0)
    assert {s.stage.value: s.use_cases for s in data.stages}["discovery"] == 1
    assert data.roi_use_cases == 1


def test_an_empty_portfolio_has_zeros(lead):
    data = portfolio_value(user=lead)
    assert (data.spent, data.pipeline_planned, data.realised, data.kills) == (0, 0, 0, 0)
    assert data.kill_days is None and data.top_gate is None
    assert data.roi_use_cases == 0


def test_the_page_shows_the_value_panel_to_an_executive(portfolio, client_as, executive):
    response = client_as(executive).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    panel = html.split('id="portfolio-value"', 1)[1]
    assert 'id="value-spent"><span class="figure">195,000</span>' in panel
    assert 'id="value-pipeline"><span class="figure">480,000</span>' in panel
    assert "PoC actuals project 240,000–430,000 (2 use cases)" in panel
    assert 'id="value-realised"><span class="figure">20,000</span>' in panel
    assert "most at Gate 2 (2); top reason: Data quality or availability (1)" in panel
    assert "77,000 spent before the kill" in panel
    assert (
        '<tr data-stage="poc"><td>POC</td><td class="num">1</td><td class="num">400,000</td>'
        '<td class="num">68,000</td><td class="num">180,000–310,000</td></tr>'
    ) in panel
    assert '<tr data-reason="none"><td>No reason recorded</td><td class="num">1</td>' in panel
    for chart in [
        "Money by stage (EUR)",
        "Benefits realised against the hypothesis (EUR)",
        "3-year ROI of the use cases in play",
        "Payback month of the use cases in play",
        "Kills by gate",
        "Kills by reason",
    ]:
        assert 'class="chart" viewBox="0 0 640' in panel and f'aria-label="{chart}"' in panel
    assert 'href="/dashboard/value.csv"' in panel and 'href="/dashboard/value.xlsx"' in panel
    assert " style=" not in html.split("<main", 1)[1]  # the strict CSP allows none


def test_an_exit_reason_label_is_escaped_in_the_charts(portfolio, client_as, executive):
    ExitReason.objects.filter(code="cost").update(label="<script>alert(1)</script>")
    html = client_as(executive).get("/dashboard/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _grow(lead, sponsor, business_unit, n: int) -> None:
    """``n`` more use cases, each with cost lines and a realised benefit,
    one in three killed at Gate 1 with a reason."""
    reason = ExitReason.objects.get(code="adoption")
    for i in range(n):
        case = UseCaseFactory(title=f"Growth {i}", business_unit=business_unit, sponsor=sponsor)
        line(case, lead, "discovery", "development", planned=1000 + i, actual=900 + i)
        line(case, lead, "pilot", "development", planned=5000)
        line(case, lead, "production", "operations_annual", planned=700)
        benefit = Benefit.objects.create(
            use_case=case, name="Saved", annual_amount=D(3000 + i), created_by=lead
        )
        BenefitRealisation.objects.create(
            benefit=benefit, period_end="2025-06-30", amount=D(100), recorded_by=lead
        )
        if i % 3 == 0:
            review = make_open_review(case, lead)
            gate_services.gate_decide(
                review=review, by=lead, decision="kill", rationale="Stop.", **KILL_EXIT
            )
            GateReview.objects.filter(pk=review.pk).update(exit_reason=reason)


# The panel's six queries.
VALUE_QUERIES = 6


def test_the_panel_reads_in_six_queries_at_any_size(
    lead, sponsor, business_unit, django_assert_num_queries
):
    _grow(lead, sponsor, business_unit, 5)
    with django_assert_num_queries(VALUE_QUERIES):
        small = portfolio_value(user=lead)
    assert small.kills == 2
    _grow(lead, sponsor, business_unit, 35)
    with django_assert_num_queries(VALUE_QUERIES):
        large = portfolio_value(user=lead)
    assert large.kills == 2 + 12
    assert large.roi_use_cases == 40 - 14


def test_the_page_and_api_query_counts_do_not_grow(
    lead, sponsor, business_unit, executive, client_as, api_as, django_assert_max_num_queries
):
    from tests.reporting.test_dashboard import DASHBOARD_MAX_QUERIES

    client, api = client_as(executive), api_as(executive)
    client.get("/dashboard/")  # warm the session
    _grow(lead, sponsor, business_unit, 5)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        assert client.get("/dashboard/").status_code == 200
    with django_assert_max_num_queries(VALUE_QUERIES + 3):
        assert api.get("/api/v1/dashboard/value/").status_code == 200
    _grow(lead, sponsor, business_unit, 35)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        assert client.get("/dashboard/").status_code == 200
    with django_assert_max_num_queries(VALUE_QUERIES + 3):
        assert api.get("/api/v1/dashboard/value/").status_code == 200


def test_readers_of_the_whole_portfolio_share_one_kept_read(
    portfolio, lead, executive, settings, django_assert_num_queries
):
    from reporting.value_selectors import forget_portfolio_value

    settings.VALUE_DASHBOARD_CACHE_SECONDS = 300
    forget_portfolio_value()
    try:
        first = portfolio_value(user=lead)
        with django_assert_num_queries(1):  # the executive's roles, nothing else
            kept = portfolio_value(user=executive)
        assert kept.spent == first.spent == D(195000)
        assert kept.read_at == first.read_at
        # A narrower reader never gets the shared figures.
        reader = UserFactory(username="reader")
        assert portfolio_value(user=reader).spent == D(0)
    finally:
        forget_portfolio_value()


def test_amounts_show_whole_and_grouped():
    from reporting.templatetags.value_figures import amount

    assert amount(D("1234567.5")) == "1,234,568"
    assert amount(D("0.49")) == "0"
    assert amount(7) == "7"
    assert amount(None) == amount("") == "—"
