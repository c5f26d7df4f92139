"""The executive dashboard in German, chosen by the browser's
Accept-Language: headings, figures' captions, chart labels and dates."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.reporting.test_dashboard import BUILT_AT, portfolio  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_the_dashboard_speaks_german(portfolio, client_as, executive):  # noqa: F811
    with time_machine.travel(BUILT_AT + datetime.timedelta(days=1), tick=True):
        response = client_as(executive).get("/dashboard/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    html = response.content.decode()
    for german in (
        "Dashboard für Führungskräfte",
        "Anwendungsfälle je Phase",
        "Durchlauf durch jedes Gate",
        "Median der Zeit in der Phase gegenüber der Norm",
        "Anstehende Gate-Reviews",
        "Portfolio exportieren (CSV)",
        # A chart's own labels.
        "Median, aktive Anwendungsfälle",
        # The value panel.
        "Wert des Portfolios",
    ):
        assert german in html, german
    # The date the page was read, with the German month name.
    assert "13. Mai 2025" in html or "Mai 2025" in html
    for english in ("Executive dashboard", "Upcoming gate reviews", "Use cases per stage"):
        assert english not in html, english
    assert "Case D" in html


def test_without_accept_language_it_stays_english(portfolio, client_as, executive):  # noqa: F811
    with time_machine.travel(BUILT_AT + datetime.timedelta(days=1), tick=True):
        html = client_as(executive).get("/dashboard/").content.decode()
    assert "Executive dashboard" in html and "Dashboard für Führungskräfte" not in html
