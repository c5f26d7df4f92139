"""The portfolio CSV export: content, streaming, formula-injection defence."""

from __future__ import annotations

import csv
import io

import pytest

from reporting.views import csv_safe
from tests.factories import UseCaseFactory

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
