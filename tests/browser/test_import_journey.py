"""A sponsor imports use cases from a spreadsheet: the check finds the bad
row and says which cell; after the fix the file imports whole, and the use
cases are in the portfolio."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from usecases.models import BusinessUnit, BusinessUnitMember, UseCase

pytestmark = pytest.mark.browser

PASSWORD = "sponsor-pass-123"


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_a_sponsor_fixes_the_bad_row_and_imports_the_file(page: Page, live_server) -> None:
    sponsor = get_user_model().objects.create_user(
        username="sponsor", password=PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    get_user_model().objects.create_user(username="tara", password=PASSWORD, email="t@x.org")
    claims = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    BusinessUnitMember.objects.create(business_unit=claims, user=sponsor)
    header = ["title", "summary", "business_unit", "technical_lead"]
    first = ["Claims intake bot", "Reads claim forms.", "claims", "tara"]

    login(page, live_server, "sponsor", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/")
    page.locator("#import-link").click()
    page.wait_for_url(f"{live_server.url}/use-cases/import/")

    bad = [header, first, ["Fraud scoring", "Scores claims.", "claims", "nobody"]]
    page.set_input_files(
        "#id_file", {"name": "q3.csv", "mimeType": "text/csv", "buffer": _csv(bad)}
    )
    page.locator("#import-check").click()
    problem = page.locator('#import-problems tr[data-row="3"]')
    expect(problem).to_contain_text("technical_lead")
    expect(problem).to_contain_text("No active person has the username or e-mail address")
    expect(page.locator("#import-confirm")).to_have_count(0)
    assert not UseCase.objects.exists()

    good = [header, first, ["Fraud scoring", "Scores claims.", "claims", "t@x.org"]]
    page.set_input_files(
        "#id_file", {"name": "q3.csv", "mimeType": "text/csv", "buffer": _csv(good)}
    )
    page.locator("#import-check").click()
    expect(page.locator("#import-report")).to_contain_text("no problem")
    page.locator("#import-confirm").click()

    page.wait_for_url(f"{live_server.url}/portfolio/")
    main = page.locator("main")
    expect(main).to_contain_text("Imported 2 use cases from q3.csv.")
    expect(main).to_contain_text("Claims intake bot")
    expect(main).to_contain_text("Fraud scoring")
    assert sorted(UseCase.objects.values_list("title", flat=True)) == [
        "Claims intake bot",
        "Fraud scoring",
    ]
