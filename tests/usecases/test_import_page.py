"""The import page (/use-cases/import/) and its templates: check a file, see
every problem, import a clean one; the template's example row imports."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from tests.usecases.import_files import HEADER, XLSX_TYPE, csv_file, sheet_rows
from usecases.imports import COLUMNS
from usecases.models import UseCase
from usecases.services import usecase_import

pytestmark = pytest.mark.django_db

PAGE = "/use-cases/import/"


def test_the_permission_ladder(client, client_as, executive, sponsor, outsider, business_unit):
    assert client.get(PAGE).status_code == 302  # to sign in
    assert client_as(executive).get(PAGE).status_code == 403
    assert client_as(outsider).get(PAGE).status_code == 403  # a role in no unit
    response = client_as(sponsor).get(PAGE)
    assert response.status_code == 200
    assert b"Template (CSV)" in response.content


def test_the_portfolio_links_the_page_for_people_who_may_propose(
    client_as, sponsor, executive, business_unit
):
    assert b'id="import-link"' in client_as(sponsor).get("/portfolio/").content
    assert b'id="import-link"' not in client_as(executive).get("/portfolio/").content


def test_a_checked_file_shows_its_problems_then_a_clean_one_imports(
    client_as, sponsor, business_unit, techlead
):
    browser = client_as(sponsor)
    bad = csv_file([HEADER, ["Claims intake bot", "Reads forms.", "claims", "nobody"]])
    response = browser.post(PAGE, {"file": bad})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-row="2" data-column="technical_lead"' in page
    assert "No active person has the username or e-mail address “nobody”." in page
    assert 'name="confirm"' not in page

    good = csv_file([HEADER, ["Claims intake bot", "Reads forms.", "claims", "techlead"]])
    response = browser.post(PAGE, {"file": good})
    page = response.content.decode()
    assert "Import 1 use case" in page
    assert not UseCase.objects.exists()
    digest = page.split('name="confirm" value="', 1)[1].split('"', 1)[0]

    response = browser.post(PAGE, {"confirm": digest}, follow=True)
    assert response.redirect_chain[-1][0] == "/portfolio/"
    assert "Imported 1 use case from use-cases.csv." in response.content.decode()
    assert list(UseCase.objects.values_list("title", flat=True)) == ["Claims intake bot"]
    assert AuditEvent.objects.filter(action="usecase.imported").count() == 1

    # The kept file is gone: the same button again imports nothing twice.
    response = browser.post(PAGE, {"confirm": digest})
    assert response.status_code == 400
    assert "upload it again" in response.content.decode()
    assert UseCase.objects.count() == 1


def test_a_confirm_with_another_persons_hash_imports_nothing(
    client_as, sponsor, lead, business_unit
):
    good = csv_file([HEADER, ["Claims intake bot", "Reads forms.", "claims", ""]])
    page = client_as(sponsor).post(PAGE, {"file": good}).content.decode()
    digest = page.split('name="confirm" value="', 1)[1].split('"', 1)[0]
    assert client_as(lead).post(PAGE, {"confirm": digest}).status_code == 400
    assert client_as(lead).post(PAGE, {"confirm": "../x"}).status_code == 400
    assert not UseCase.objects.exists()


def test_a_file_of_another_type_is_refused_with_a_message(client_as, sponsor, business_unit):
    response = client_as(sponsor).post(PAGE, {"file": SimpleUploadedFile("a.pdf", b"%PDF-1")})
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file" in response.content.decode()


def test_the_csv_template_example_row_imports(client_as, sponsor, business_unit):
    response = client_as(sponsor).get(PAGE + "template.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [c.name for c in COLUMNS]
    assert rows[1][rows[0].index("business_unit")] == "claims"
    file = SimpleUploadedFile("template.csv", response.content)
    report = usecase_import(by=sponsor, file=file, dry_run=False)
    assert report.rows == 1 and len(report.created) == 1
    assert UseCase.objects.get().title == rows[1][0]


def test_the_xlsx_template_example_row_imports_and_notes_each_column(
    client_as, sponsor, business_unit
):
    response = client_as(sponsor).get(PAGE + "template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    notes = sheet_rows(response.content, sheet=1)
    assert [row[0] for row in notes[1:]] == [c.name for c in COLUMNS]
    assert notes[1][1] == "yes" and "200 characters" in notes[1][2]
    file = SimpleUploadedFile("template.xlsx", response.content)
    report = usecase_import(by=sponsor, file=file, dry_run=False)
    assert len(report.created) == 1


def test_the_templates_read_a_bounded_number_of_queries(
    client_as, sponsor, business_unit, django_assert_max_num_queries
):
    browser = client_as(sponsor)
    for url in (PAGE, PAGE + "template.csv", PAGE + "template.xlsx"):
        with django_assert_max_num_queries(8):
            assert browser.get(url).status_code == 200
