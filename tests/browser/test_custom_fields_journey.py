"""A sponsor fills the custom fields an administrator defined on the edit
form (a select, a person, a date) and reads them in the use case page's
Details; the portfolio finds the use case by the person, chosen with the
same picker."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.factories import BusinessUnitFactory, UseCaseFactory
from tests.usecases.custom_field_helpers import define
from usecases.models import Stage, UseCase

pytestmark = pytest.mark.browser

PASSWORD = "sponsor-pass-123"


def test_a_sponsor_sets_custom_fields_and_sees_them_on_the_page(page: Page, live_server) -> None:
    users = get_user_model().objects
    sponsor = users.create_user(
        username="sam", password=PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    users.create_user(username="tara", password=PASSWORD, first_name="Tara", last_name="Nguyen")
    define("data_owner", "Data owner", "person", required_from=Stage.POC, order=1)
    define("region", "Deployment region", "choice", choices=["EU (Dublin)", "US East"], order=2)
    define("go_live", "Go-live date", "date", order=3)
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=sponsor,
    )

    login(page, live_server, "sam", PASSWORD)
    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    details = page.locator("#details")
    expect(details).to_contain_text("Required from POC")

    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/edit/")
    expect(page.locator("label[for=id_cf_data_owner]")).to_contain_text("Data owner (required)")
    page.locator("#id_cf_data_owner__search").fill("nguyen")
    expect(page.locator("#id_cf_data_owner optgroup")).to_have_count(1)
    page.locator("#id_cf_data_owner").select_option(label="Tara Nguyen (tara)")
    page.locator("#id_cf_region").select_option("US East")
    page.fill("#id_cf_go_live", "2026-03-31")
    page.locator("form:has(#id_title) [type=submit]").click()

    page.wait_for_url(re.compile(rf"/use-cases/{use_case.pk}/$"))
    details = page.locator("#details")
    expect(details).to_contain_text("Tara Nguyen (tara)")
    expect(details).to_contain_text("US East")
    expect(details).to_contain_text("2026-03-31")
    expect(details).not_to_contain_text("Required from POC")
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert use_case.custom_values["region"] == "US East"
    assert use_case.custom_values["go_live"] == "2026-03-31"

    # The portfolio's filter on the person field: a search, then a choice.
    other = UseCaseFactory(
        title="Fraud alert ranking", business_unit=use_case.business_unit, sponsor=sponsor
    )
    page.goto(f"{live_server.url}/portfolio/")
    expect(page.locator("#results")).to_contain_text(other.title)
    expect(page.locator("#id_cf_data_owner option")).to_have_count(1)  # "Anyone" alone
    page.locator("#id_cf_data_owner__search").fill("nguyen")
    expect(page.locator("#id_cf_data_owner optgroup")).to_have_count(1)
    page.locator("#id_cf_data_owner").select_option(label="Tara Nguyen (tara)")
    expect(page.locator("#results")).not_to_contain_text(other.title)
    expect(page.locator("#results")).to_contain_text("Claims triage assistant")
