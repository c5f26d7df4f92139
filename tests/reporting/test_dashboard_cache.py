"""The dashboard's shared rendering (``DASHBOARD_CACHE_SECONDS``): a second
view costs a handful of queries, a recorded change shows at the next view,
what only the clock changes shows within the configured seconds, and each
language has its own rendering."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from tests.factories import UseCaseFactory
from tests.gates.helpers import make_open_review

pytestmark = pytest.mark.django_db

# The session, the user, their roles and the audit trail's head: no figure.
SHARED_VIEW_MAX_QUERIES = 6


@pytest.fixture
def shared(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def figure(html: str, what: str) -> int:
    match = re.search(
        r'<span class="figure[^"]*">([\d,]+)</span><span class="what">' + re.escape(what), html
    )
    assert match, f"no {what!r} card on the page"
    return int(match.group(1).replace(",", ""))


@pytest.fixture
def portfolio(business_unit, sponsor):
    return [UseCaseFactory(business_unit=business_unit, sponsor=sponsor) for _ in range(3)]


def test_a_second_view_reads_no_figure(
    shared, portfolio, client_as, executive, django_assert_max_num_queries
):
    client = client_as(executive)
    first = client.get("/dashboard/").content.decode()
    assert figure(first, "Use cases") == 3
    with django_assert_max_num_queries(SHARED_VIEW_MAX_QUERIES):
        second = client.get("/dashboard/").content.decode()
    assert figure(second, "Use cases") == 3
    assert second.split("<main", 1)[1] == first.split("<main", 1)[1]


def test_another_reader_shares_it_under_their_own_frame(
    shared, portfolio, client_as, executive, lead, django_assert_max_num_queries
):
    first, second = client_as(executive), client_as(lead)  # signing in is recorded
    first.get("/dashboard/")
    with django_assert_max_num_queries(SHARED_VIEW_MAX_QUERIES):
        html = second.get("/dashboard/").content.decode()
    assert figure(html, "Use cases") == 3
    frame = html.split("<main", 1)[0]
    assert (lead.get_full_name() or lead.username) in frame
    assert (executive.get_full_name() or executive.username) not in frame


def test_a_recorded_change_shows_at_the_next_view(shared, portfolio, client_as, executive, lead):
    client = client_as(executive)
    assert figure(client.get("/dashboard/").content.decode(), "Open gate reviews") == 0
    make_open_review(portfolio[0], lead)  # audited: the trail's head moves
    assert figure(client.get("/dashboard/").content.decode(), "Open gate reviews") == 1


def test_what_the_trail_does_not_record_shows_after_the_configured_seconds(
    shared, portfolio, client_as, executive, business_unit
):
    client = client_as(executive)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert figure(client.get("/dashboard/").content.decode(), "Use cases") == 3
    UseCaseFactory(business_unit=business_unit)  # written without the trail
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        assert figure(client.get("/dashboard/").content.decode(), "Use cases") == 3
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        assert figure(client.get("/dashboard/").content.decode(), "Use cases") == 4


def test_each_language_has_its_own_rendering(shared, portfolio, client_as, executive):
    client = client_as(executive)
    english = client.get("/dashboard/", headers={"accept-language": "en"}).content.decode()
    german = client.get("/dashboard/", headers={"accept-language": "de"}).content.decode()
    assert "Open gate reviews" in english
    assert "Open gate reviews" not in german
    assert "Offene Gate-Reviews" in german


def test_with_zero_seconds_every_view_reads_the_figures(
    settings, portfolio, client_as, executive, business_unit
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client = client_as(executive)
    assert figure(client.get("/dashboard/").content.decode(), "Use cases") == 3
    UseCaseFactory(business_unit=business_unit)
    assert figure(client.get("/dashboard/").content.decode(), "Use cases") == 4
