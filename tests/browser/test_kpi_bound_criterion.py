"""The sponsor binds the Gate 3 "Adoption" criterion to the pilot adoption KPI
on the review page; the criterion is assessed from the latest measurement and
the submit panel stops naming it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from gates import services as gate_services
from readiness import services
from readiness.models import KpiRule
from tests.browser.conftest import login
from tests.factories import PASSWORD
from tests.readiness.helpers import pilot_adoption, to_pilot

pytestmark = pytest.mark.browser


def test_it_binds_a_criterion_to_a_kpi_in_the_browser(
    page: Page, live_server, use_case, lead, sponsor, cio
) -> None:
    to_pilot(use_case, lead, sponsor)
    review = gate_services.review_open(use_case=use_case, by=lead)
    kpi = pilot_adoption(use_case, sponsor)
    services.kpi_measurement_record(kpi=kpi, by=sponsor, value="64", measured_at="2026-10-20")
    criterion = review.criteria.get(name="Adoption")

    login(page, live_server, "sponsor", PASSWORD)
    page.goto(f"{live_server.url}/reviews/{review.pk}/")
    expect(page.locator("#submit-panel")).to_contain_text("Criterion not assessed: Adoption")
    row = page.locator(f"#criterion-{criterion.pk}")
    row.get_by_role("link", name="Assess").click()
    row.get_by_label("KPI").select_option(label="Pilot adoption (%)")
    row.get_by_label("Met when the latest value is").select_option(">=")
    row.get_by_label("Threshold").fill("60")
    row.get_by_role("button", name="Assess from this KPI").click()

    expect(row.locator(".badge-met")).to_have_text("Met")
    expect(row).to_contain_text("Pilot adoption 64% on 2026-10-20 (rule: ≥ 60%)")
    expect(row).to_contain_text("Assessed from KPI: Pilot adoption ≥ 60%")
    expect(page.locator("#submit-panel")).not_to_contain_text("Criterion not assessed: Adoption")
    assert KpiRule.objects.get(review_criterion=criterion).kpi == kpi
