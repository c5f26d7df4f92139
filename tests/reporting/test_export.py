"""The portfolio CSV export: content, streaming, formula-injection defence."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from reporting.views import csv_safe
from tests.factories import UseCaseFactory
from tests.workers import end_backend

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_it_exports_the_visible_portfolio(client_as, executive, use_case, sponsor):
    use_case.regulatory_constraints = ["gdpr", "eu_ai_act"]
    use_case.save()
    response = client_as(executive).get("/dashboard/portfolio.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="portfolio-')
    header, *rows = _rows(response)
    assert header[:4] == ["id", "title", "business_unit", "stage"]
    assert "priority_score" in header and "stalled" in header
    row = dict(zip(header, rows[0], strict=True))
    assert row["id"] == str(use_case.pk)
    assert row["title"] == "Claims triage assistant"
    assert row["business_unit"] == "Claims Operations"
    assert row["stage"] == "Discovery"
    assert row["status"] == "Active"
    assert row["risk_tier"] == "Medium"
    assert row["regulatory_constraints"] == "GDPR; EU AI Act"
    assert row["sponsors"] == "Sam Sponsor"
    assert row["days_in_stage"] == "0"
    assert (row["overdue"], row["stalled"]) == ("no", "no")
    assert row["priority_score"] == ""


@pytest.mark.parametrize("title", ['=HYPERLINK("http://evil","x")', "+1+2", "-2+3", "@SUM(A1)"])
def test_it_defuses_formulas(client_as, lead, title):
    UseCaseFactory(title=title)
    header, *rows = _rows(client_as(lead).get("/dashboard/portfolio.csv"))
    titles = [dict(zip(header, r, strict=True))["title"] for r in rows]
    assert titles == ["'" + title]


def test_csv_safe_leaves_plain_values_alone():
    assert csv_safe("Claims triage") == "Claims triage"
    assert csv_safe(42) == 42
    assert csv_safe("=1+1") == "'=1+1"


def test_a_sponsor_cannot_export(client_as, sponsor, use_case):
    assert client_as(sponsor).get("/dashboard/portfolio.csv").status_code == 403


@pytest.mark.postgres("a connection ended by the server (pg_terminate_backend)")
@pytest.mark.django_db(transaction=True)
def test_an_export_the_database_stops_answering_is_a_503_to_retry_not_a_file_cut_short(
    client_as, executive, use_case
):
    """The database ends the connection as the export asks for its rows (a
    restart, a statement cancelled): the page says to try again, rather than
    a 200 whose file stops after its header. The retry exports the portfolio."""
    client = client_as(executive)

    def ended_as_the_rows_are_asked_for(execute, sql, params, many, context):
        if context["cursor"].cursor.name:  # the rows, read in chunks by a named cursor
            end_backend(connection.connection.get_backend_pid())
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(ended_as_the_rows_are_asked_for):
            response = client.get("/dashboard/portfolio.csv")
    finally:
        connection.close()  # the next request opens a new one
    assert response.status_code == 503
    assert not response.streaming
    assert response["Retry-After"] == "5"
    assert "The database is unavailable for a moment" in response.content.decode()

    header, *rows = _rows(client.get("/dashboard/portfolio.csv"))
    assert [dict(zip(header, row, strict=True))["title"] for row in rows] == [use_case.title]
