"""Late reviews on the dashboard: an open review past its planned gate date is
marked late in the upcoming reviews, with the count of late ones, and the
dashboard keeps its query bound at every size (past the list's limit the
count comes from one aggregate)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from gates import services as gate_services
from reporting.dashboard_read import UPCOMING_REVIEWS, dashboard
from tests.factories import UseCaseFactory
from tests.gates.helpers import isolate, make_open_review

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# The bound of tests/reporting/test_dashboard.py: 14, one more for the
# expiring evidence (gates.selectors.expiring_evidence), two for the use
# cases in operation and retired (when there are any) and six for the
# portfolio value (reporting.value_selectors) when it is not kept.
DASHBOARD_MAX_QUERIES = 23


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def open_reviews(business_unit, lead, sponsor, techlead, n: int, *, late_every: int):
    """``n`` open reviews, every ``late_every``-th planned for today (late
    tomorrow), the others in ten days."""
    today = timezone.localdate()
    late = []
    for i in range(n):
        case = UseCaseFactory(
            title=f"Case {i}", business_unit=business_unit, sponsor=sponsor, technical_lead=techlead
        )
        planned = today if i % late_every == 0 else today + 10 * DAY
        review = gate_services.review_open(use_case=case, by=lead, planned_date=planned)
        if i % late_every == 0:
            late.append(review)
    return late


def test_a_late_review_is_marked_late_with_the_count(
    client_as, executive, lead, sponsor, techlead, business_unit
):
    late = open_reviews(business_unit, lead, sponsor, techlead, 4, late_every=3)
    unplanned = make_open_review(
        UseCaseFactory(title="Unplanned", business_unit=business_unit, sponsor=sponsor), lead
    )
    with time_machine.travel(timezone.now() + DAY, tick=False):
        data = dashboard(user=executive)
        html = client_as(executive).get("/dashboard/").content.decode()
        assert {item.review for item in data.upcoming if item.review.is_late} == set(late)
    assert data.upcoming_late == len(late) == 2
    assert 'id="upcoming-late">2 late</span>' in html
    for review in late:
        row = html.split(f'id="upcoming-{review.pk}"', 1)[1].split("</tr>", 1)[0]
        assert ">late</span>" in row
    row = html.split(f'id="upcoming-{unplanned.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "not planned" in row and ">late</span>" not in row
    # The day itself is not late.
    assert dashboard(user=executive).upcoming_late == 0


@pytest.mark.parametrize("size", [3, UPCOMING_REVIEWS + 5])
def test_the_query_bound_holds_with_late_reviews(
    client_as,
    executive,
    lead,
    sponsor,
    techlead,
    business_unit,
    size,
    django_assert_max_num_queries,
):
    late = open_reviews(business_unit, lead, sponsor, techlead, size, late_every=2)
    client = client_as(executive)
    client.get("/dashboard/")  # warm the session
    with time_machine.travel(timezone.now() + DAY, tick=False):
        with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
            response = client.get("/dashboard/")
        data = dashboard(user=executive)
    assert response.status_code == 200
    assert data.upcoming_total == size
    assert data.upcoming_late == len(late)
    assert f'id="upcoming-late">{len(late)} late</span>' in response.content.decode()
