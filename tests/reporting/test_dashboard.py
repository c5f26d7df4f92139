"""The executive dashboard's figures on a known small portfolio, its
permissions, and a query count that does not grow with the portfolio."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from gates import services as gate_services
from reporting.dashboard_read import dashboard, quarter_bounds
from tests.factories import UseCaseFactory, UserFactory
from tests.gates.helpers import KILL_EXIT, make_open_review, pass_gate

pytestmark = pytest.mark.django_db

BUILT_AT = datetime.datetime(2025, 5, 12, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def portfolio(lead, sponsor, techlead, business_unit):
    """A: two Go decisions (Pilot). B: one Go (POC). C: killed at Gate 1.
    D: untouched in Discovery. All built on 12 May 2025 (Q2)."""
    with time_machine.travel(BUILT_AT, tick=False):
        cases = {
            key: UseCaseFactory(
                title=f"Case {key}",
                business_unit=business_unit,
                sponsor=sponsor,
                technical_lead=techlead,
            )
            for key in "ABCD"
        }
        pass_gate(cases["A"], lead, sponsor)
        pass_gate(cases["A"], lead, sponsor)
        pass_gate(cases["B"], lead, sponsor)
        review = make_open_review(cases["C"], lead)
        gate_services.gate_decide(
            review=review,
            by=lead,
            decision="kill",
            rationale="No data to learn from.",
            **KILL_EXIT,
        )
        make_open_review(cases["D"], lead)
    return cases


def test_it_counts_stages_conversion_and_decisions(portfolio, lead):
    with time_machine.travel(BUILT_AT + datetime.timedelta(days=1), tick=False):
        data = dashboard(user=lead)
    stages = {row.stage.value: row for row in data.stages}
    assert (stages["discovery"].active, stages["discovery"].killed) == (1, 1)
    assert stages["poc"].active == 1
    assert stages["pilot"].active == 1
    assert stages["production"].in_stage == stages["scale"].in_stage == 0
    assert data.total == 4

    rates = {g.number: (g.reached, g.passed, g.percent) for g in data.conversions}
    assert rates == {1: (4, 2, 50), 2: (2, 1, 50), 3: (1, 0, 0), 4: (0, 0, None)}

    decisions = {code: n for code, _, n in data.decisions}
    assert decisions == {"go": 3, "conditional_go": 0, "hold": 0, "recycle": 0, "kill": 1}
    assert data.quarter == "Q2 2025"
    assert (data.overdue, data.stalled) == (0, 0)
    assert [u.review.use_case.title for u in data.upcoming] == ["Case D"]


def test_last_quarters_decisions_do_not_count_this_quarter(portfolio, lead):
    with time_machine.travel(datetime.datetime(2025, 7, 2, tzinfo=datetime.UTC), tick=False):
        data = dashboard(user=lead)
    assert data.quarter == "Q3 2025"
    assert data.decisions_total == 0


def test_it_flags_overdue_and_stalled_and_the_median(portfolio, lead):
    # 40 days on: D has been in Discovery longer than its 4-week norm; nobody
    # touched anything for more than 21 days, so every active case is stalled.
    with time_machine.travel(BUILT_AT + datetime.timedelta(days=40), tick=False):
        data = dashboard(user=lead)
    stages = {row.stage.value: row for row in data.stages}
    assert stages["discovery"].overdue == 1
    assert stages["poc"].overdue == 0  # 40 days within 4–8 weeks
    assert data.stalled == 3  # A, B, D; C is killed
    assert {uc.title for uc in data.attention} == {"Case A", "Case B", "Case D"}
    assert round(stages["discovery"].median_days) == 40
    assert stages["discovery"].median_over_norm is True
    assert stages["poc"].median_over_norm is False


def test_the_page_shows_the_figures_to_an_executive(portfolio, client_as, executive):
    with time_machine.travel(BUILT_AT + datetime.timedelta(days=1), tick=True):
        response = client_as(executive).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert 'data-gate="1"><td>Gate 1: Discovery → POC</td><td class="num">4</td>' in html
    assert "Case D" in html
    assert " style=" not in html.split("<main", 1)[1]  # the strict CSP allows none


@pytest.mark.parametrize("who", ["sponsor", "outsider", "buhead"])
def test_others_get_a_clear_403(request, client_as, who):
    response = client_as(request.getfixturevalue(who)).get("/dashboard/")
    assert response.status_code == 403
    assert "for program leads and executives" in response.content.decode()


def test_anonymous_goes_to_the_login_page(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_quarter_bounds():
    start, end = quarter_bounds(datetime.datetime(2025, 11, 30, 23, tzinfo=datetime.UTC))
    assert (start.date(), end.date()) == (datetime.date(2025, 10, 1), datetime.date(2026, 1, 1))


def _grow(business_unit, lead, sponsor, techlead, n: int) -> None:
    for i in range(n):
        case = UseCaseFactory(
            title=f"Growth {i}",
            business_unit=business_unit,
            sponsor=sponsor,
            technical_lead=techlead,
        )
        if i % 2 == 0:
            pass_gate(case, lead, sponsor)
        if i % 3 == 0:
            make_open_review(case, lead)


# 14, one for the expiring evidence, one for the most urgent recertifications
# and one for the latest retired (each only when there are any), and six for
# the portfolio value (when not kept).
DASHBOARD_MAX_QUERIES = 23


def test_the_query_count_does_not_grow_with_the_portfolio(
    portfolio,
    client_as,
    executive,
    lead,
    sponsor,
    techlead,
    business_unit,
    django_assert_max_num_queries,
):
    from gates.models import GateReview
    from reporting.models import GatePack

    client = client_as(executive)
    client.get("/dashboard/")  # warm the session
    for review in GateReview.objects.filter(status__in=["open", "submitted"]):
        GatePack.objects.create(review=review, review_revision=review.revision, requested_by=lead)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        assert client.get("/dashboard/").status_code == 200
    _grow(business_unit, lead, sponsor, techlead, 9)
    for review in GateReview.objects.filter(status__in=["open", "submitted"]):
        GatePack.objects.create(review=review, review_revision=review.revision, requested_by=lead)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        assert client.get("/dashboard/").status_code == 200


def test_an_outsider_executive_view_uses_only_visible_rows(lead):
    # Executives and program leads see the whole portfolio; the selector still
    # goes through use_cases_visible_to, so a narrower reader sees less.
    stranger = UserFactory(username="stranger")
    UseCaseFactory(title="Hidden")
    data = dashboard(user=stranger, now=timezone.now())
    assert data.total == 0
