"""The dashboard's tables and the portfolio as CSV and XLSX: the workbook's
cells are the CSV's, the figures the page's, permissions as the page's, and
the query count does not grow with the portfolio."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from reporting.exports import XLSX_TYPE
from reporting.views import EXPORT_HEADER
from tests.factories import UseCaseFactory
from tests.gates.helpers import make_open_review, pass_gate

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil","x")'


@pytest.fixture
def portfolio(lead, sponsor, techlead, business_unit):
    cases = [
        UseCaseFactory(
            title=title, business_unit=business_unit, sponsor=sponsor, technical_lead=techlead
        )
        for title in ("Claims triage", FORMULA, "Fraud scoring")
    ]
    pass_gate(cases[0], lead, sponsor)
    make_open_review(cases[1], lead)
    return cases


def _csv_tables(content: bytes) -> dict[str, list[list[str]]]:
    """The CSV's tables by title: header and rows, as text."""
    tables: dict[str, list[list[str]]] = {}
    block: list[list[str]] = []
    for row in [*csv.reader(io.StringIO(content.decode("utf-8-sig"))), []]:
        if row:
            block.append(row)
        elif block:
            tables[block[0][0]] = block[1:]
            block = []
    return tables


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _sheets(content: bytes) -> list[list[list[str]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [
        [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    ]


def test_the_dashboard_tables_are_the_same_in_csv_and_xlsx(portfolio, client_as, executive):
    browser = client_as(executive)
    as_csv = browser.get("/dashboard/tables.csv")
    as_xlsx = browser.get("/dashboard/tables.xlsx")
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_xlsx["Content-Type"] == XLSX_TYPE
    assert as_csv["Content-Disposition"].startswith('attachment; filename="dashboard-')
    tables = _csv_tables(as_csv.content)
    sheets = _sheets(as_xlsx.content)
    assert list(tables.values()) == sheets
    stages = {row[0]: row for row in tables["Use cases per stage"][1:]}
    assert stages["Discovery"][1] == "2"  # active: the formula-titled case and Fraud scoring
    assert stages["POC"][1] == "1"
    upcoming = tables["Upcoming gate reviews"]
    assert upcoming[0][:2] == ["review", "use_case"]
    assert upcoming[1][1] == "'" + FORMULA  # defused, in the workbook too
    gates = {row[0]: row for row in tables["Conversion through each gate"][1:]}
    assert gates["Gate 1"][3:5] == ["3", "1"]


def test_the_portfolio_workbook_holds_the_csvs_cells(portfolio, client_as, lead):
    browser = client_as(lead)
    response = browser.get("/dashboard/portfolio.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    sheets = _sheets(browser.get("/dashboard/portfolio.xlsx").content)
    assert csv_rows[0] == EXPORT_HEADER
    assert sheets == [csv_rows]


def test_the_dashboard_links_every_download(client_as, executive):
    page = client_as(executive).get("/dashboard/").content.decode()
    for url in (
        "/dashboard/portfolio.csv",
        "/dashboard/portfolio.xlsx",
        "/dashboard/tables.csv",
        "/dashboard/tables.xlsx",
    ):
        assert f'href="{url}"' in page


@pytest.mark.parametrize("who", ["sponsor", "techlead", "outsider"])
def test_others_are_refused(request, client_as, who):
    browser = client_as(request.getfixturevalue(who))
    assert browser.get("/dashboard/tables.csv").status_code == 403
    assert browser.get("/dashboard/tables.xlsx").status_code == 403


# The dashboard's own read (14 to 17), the session and the user.
EXPORT_MAX_QUERIES = 19


def test_the_query_count_does_not_grow_with_the_portfolio(
    portfolio,
    client_as,
    executive,
    lead,
    sponsor,
    business_unit,
    django_assert_max_num_queries,
):
    browser = client_as(executive)
    for url in ("/dashboard/tables.csv", "/dashboard/tables.xlsx"):
        with django_assert_max_num_queries(EXPORT_MAX_QUERIES):
            assert browser.get(url).status_code == 200
    for index in range(12):
        case = UseCaseFactory(title=f"Growth {index}", business_unit=business_unit, sponsor=sponsor)
        if index % 3 == 0:
            make_open_review(case, lead)
    for url in ("/dashboard/tables.csv", "/dashboard/tables.xlsx"):
        with django_assert_max_num_queries(EXPORT_MAX_QUERIES):
            assert browser.get(url).status_code == 200
