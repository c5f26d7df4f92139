"""A business unit sponsor proposes a use case in the browser (in the unit
they work in, the only one offered), finds it in
Discovery on its page and again in the portfolio filtered by stage."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from usecases.models import BusinessUnit, BusinessUnitMember, MemberRole, Stage, UseCase

pytestmark = pytest.mark.browser

PASSWORD = "sponsor-pass-123"
TITLE = "Claims triage assistant"


def fill_if_present(page: Page, selector: str, value: str) -> None:
    if page.locator(selector).count():
        page.fill(selector, value)


def test_it_lets_a_sponsor_propose_a_use_case_and_find_it_in_discovery(
    page: Page, live_server
) -> None:
    sponsor = get_user_model().objects.create_user(
        username="sponsor", password=PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    claims = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    BusinessUnit.objects.create(name="Underwriting", code="underwriting")
    # Sam works in Claims Operations, so proposes there and nowhere else.
    BusinessUnitMember.objects.create(business_unit=claims, user=sponsor)

    login(page, live_server, "sponsor", PASSWORD)

    page.goto(f"{live_server.url}/use-cases/new/")
    page.fill("#id_title", TITLE)
    page.fill("#id_summary", "Route incoming claims to the right handler with a classifier.")
    units = page.locator("#id_business_unit option").all_inner_texts()
    assert "Claims Operations" in units and "Underwriting" not in units
    page.locator("#id_business_unit").select_option(label="Claims Operations")
    fill_if_present(page, "#id_business_problem", "Manual triage takes two days per claim.")
    fill_if_present(page, "#id_quantified_outcome", "Cut triage time by 60%")
    page.locator("form:has(#id_title) [type=submit]").click()

    page.wait_for_url(re.compile(r"/use-cases/\d+/$"))
    main = page.locator("main")
    expect(main).to_contain_text(TITLE)
    expect(main).to_contain_text("Discovery")

    use_case = UseCase.objects.get(title=TITLE)
    assert page.url.endswith(f"/use-cases/{use_case.pk}/")
    assert use_case.stage == Stage.DISCOVERY
    assert use_case.business_unit.code == "claims"
    assert use_case.members.filter(user=sponsor, role=MemberRole.SPONSOR).exists()

    page.goto(f"{live_server.url}/portfolio/")
    page.locator("#id_stage").select_option("discovery")
    page.locator("form:has(#id_stage)").evaluate("form => form.requestSubmit()")
    page.wait_for_load_state("networkidle")

    expect(page.locator("#id_stage")).to_have_value("discovery")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
