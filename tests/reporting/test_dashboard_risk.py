"""The dashboard's risk tier mix per stage and the regulations in force,
from the tiers the risk classifications set; in the same query bound at two
sizes."""

from __future__ import annotations

import pytest

from reporting.dashboard_read import dashboard
from tests.factories import UseCaseFactory, classify
from tests.gates.helpers import isolate, pass_gate
from tests.reporting.test_dashboard import DASHBOARD_MAX_QUERIES
from usecases import risk as questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def classified(business_unit, sponsor, title, **answers):
    """A use case whose classification risk and compliance confirmed as proposed."""
    use_case = UseCaseFactory(
        title=title, business_unit=business_unit, sponsor=sponsor, risk_classified=False
    )
    classify(use_case, answers=questionnaire.blank_answers() | answers, confirm=True)
    return use_case


@pytest.fixture
def portfolio(business_unit, sponsor, risk, lead):
    """Discovery: credit limits (high; EU AI Act, FCRA, GDPR) and invoice
    coding (medium; SOX). POC: an HR chatbot (medium; EU AI Act) past Gate 1."""
    classified(
        business_unit,
        sponsor,
        "Credit limits",
        annex_iii_areas=["essential_services"],
        consumer_reports=True,
        personal_data=True,
    )
    classified(business_unit, sponsor, "Invoice coding", financial_reporting=True)
    chatbot = classified(business_unit, sponsor, "HR chatbot", interacts_with_people=True)
    pass_gate(chatbot, lead, sponsor)


def test_it_counts_the_tiers_per_stage_and_the_regulations_in_force(portfolio, lead):
    data = dashboard(user=lead)

    stages = {row.stage.value: row for row in data.stages}
    assert stages["discovery"].risk_tiers == {"low": 0, "medium": 1, "high": 1}
    assert data.stages[0].risk_tier_counts == [0, 1, 1]
    assert stages["poc"].risk_tiers == {"low": 0, "medium": 1, "high": 0}
    regulations = {code: n for code, _, n in data.regulations}
    assert regulations == {
        "eu_ai_act": 2,
        "hipaa": 0,
        "sox": 1,
        "fcra": 1,
        "gdpr": 1,
        "other": 0,
    }


def test_the_page_shows_the_mix_and_the_regulations(portfolio, client_as, executive):
    html = client_as(executive).get("/dashboard/").content.decode()

    assert "Risk tier mix per stage" in html
    assert (
        '<tr data-stage="discovery"><td>Discovery</td><td class="num">0</td>'
        '<td class="num">1</td><td class="num">1</td></tr>'
    ) in html
    assert '<tr data-regulation="fcra"><td>FCRA</td><td class="num">1</td></tr>' in html


def test_the_query_bound_holds_with_classified_use_cases(
    portfolio, client_as, executive, business_unit, sponsor, django_assert_max_num_queries
):
    client = client_as(executive)
    client.get("/dashboard/")  # warm the session
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        assert client.get("/dashboard/").status_code == 200
    for i in range(8):
        classified(business_unit, sponsor, f"More {i}", phi=bool(i % 2), personal_data=True)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        assert client.get("/dashboard/").status_code == 200
