"""The import takes a ``cf_<key>`` column per active custom field, as the
exports name them: values parsed as the forms parse them, stored with the use
case, and a bad value reported with its row and column."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.usecases.custom_field_helpers import define_the_usual
from tests.usecases.import_files import csv_file
from usecases.models import UseCase
from usecases.services import ImportRefused, usecase_import

pytestmark = pytest.mark.django_db

HEADER = ["title", "summary", "business_unit", "cf_region", "cf_channels", "cf_data_owner"]


def _problems(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def test_custom_field_columns_import_with_the_use_case(sponsor, business_unit, techlead):
    define_the_usual()
    file = csv_file(
        [
            HEADER,
            [
                "Claims intake bot",
                "Reads claim forms.",
                "claims",
                "us east",
                "Web; Phone",
                "techlead",
            ],
            ["Fraud scoring", "Scores claims.", "claims", "", "", ""],
        ]
    )
    report = usecase_import(by=sponsor, file=file, dry_run=False)
    assert report.problems == []
    bot = UseCase.objects.get(title="Claims intake bot")
    assert bot.custom_values == {
        "region": "US East",
        "channels": ["Web", "Phone"],
        "data_owner": techlead.pk,
    }
    assert UseCase.objects.get(title="Fraud scoring").custom_values == {}


def test_a_bad_custom_value_is_a_problem_of_its_row_and_column(sponsor, business_unit):
    define_the_usual()
    file = csv_file(
        [
            HEADER,
            ["Claims intake bot", "Reads claim forms.", "claims", "Mars", "", ""],
            ["Fraud scoring", "Scores claims.", "claims", "", "Web; Carrier pigeon", "nobody"],
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        usecase_import(by=sponsor, file=file, dry_run=False)
    problems = _problems(refused.value.report)
    assert [p[:2] for p in problems] == [
        (2, "cf_region"),
        (3, "cf_channels"),
        (3, "cf_data_owner"),
    ]
    assert "Mars" in problems[0][2]
    assert not UseCase.objects.exists()


def test_the_template_names_the_custom_field_columns(client_as, sponsor, business_unit):
    define_the_usual()
    response = client_as(sponsor).get("/use-cases/import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    header = [cell.value for cell in next(book.worksheets[0].iter_rows(max_row=1))]
    assert header[-6:] == [
        "cf_data_owner",
        "cf_cost_centre",
        "cf_budget",
        "cf_go_live",
        "cf_region",
        "cf_channels",
    ]
    notes = {row[0]: row[2] for row in book.worksheets[1].iter_rows(values_only=True)}
    assert notes["cf_region"] == "One of: EU (Frankfurt), EU (Dublin), US East."
