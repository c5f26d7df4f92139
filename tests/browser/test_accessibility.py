"""Every main page passes axe-core with no critical or serious violation,
for the people who use it: the program lead (who sees the whole portfolio
and chairs reviews) and the sponsor of a use case whose title is one
200-character word, which must wrap instead of widening the page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from gates.services.reviews import review_open
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD
from usecases.models import (
    BusinessUnit,
    BusinessUnitMember,
    MemberRole,
    OrgRole,
    UseCase,
    UseCaseMember,
)

pytestmark = pytest.mark.browser

LONG_TITLE = "Claims" + "x" * 194


def assert_fits_viewport(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide in a {widths[1]} px window"


def smallest_chart_label_px(page: Page) -> float:
    """The rendered size of the smallest text in the page's SVG charts: the
    font size in chart units times the chart's scale on screen."""
    return page.evaluate(
        """() => Math.min(...Array.from(document.querySelectorAll('svg.chart')).flatMap(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Array.from(svg.querySelectorAll('text')).map(
                text => parseFloat(getComputedStyle(text).fontSize) * scale);
        }))"""
    )


def check(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("main#content")).to_be_visible()
    assert_accessible(page)
    assert_fits_viewport(page)


@pytest.fixture
def people_and_use_case(db):
    User = get_user_model()
    lead = User.objects.create_user(
        username="lead", password=JOURNEY_PASSWORD, first_name="Lena", last_name="Lead"
    )
    lead.groups.add(Group.objects.get(name=OrgRole.PROGRAM_LEAD))
    sponsor = User.objects.create_user(
        username="sponsor", password=JOURNEY_PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    unit = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    BusinessUnitMember.objects.create(business_unit=unit, user=sponsor)
    use_case = UseCase.objects.create(
        title=LONG_TITLE,
        summary="Route incoming claims to the right handler.",
        business_unit=unit,
        created_by=sponsor,
    )
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    review = review_open(use_case=use_case, by=lead)
    return use_case, review


def test_it_finds_no_blocking_problem_on_the_login_page(page: Page, live_server) -> None:
    check(page, f"{live_server.url}/accounts/login/")


def test_it_finds_no_blocking_problem_on_the_program_leads_pages(
    pages, live_server, people_and_use_case
) -> None:
    use_case, review = people_and_use_case
    lead_page = pages(live_server, "lead")
    for path in (
        "/",
        "/portfolio/",
        f"/use-cases/{use_case.pk}/",
        "/use-cases/new/",
        "/use-cases/import/",
        f"/use-cases/{use_case.pk}/edit/",
        f"/use-cases/{use_case.pk}/readiness/",
        f"/use-cases/{use_case.pk}/value/",
        f"/reviews/{review.pk}/",
        "/delegations/",
        "/dashboard/",
        "/inbox/",
    ):
        check(lead_page, f"{live_server.url}{path}")
    # The first Tab on a page reaches "Skip to content", which leads to main.
    lead_page.goto(f"{live_server.url}/")
    lead_page.keyboard.press("Tab")
    skip = lead_page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    lead_page.keyboard.press("Enter")
    expect(lead_page.locator("main#content")).to_be_focused()

    # The dashboard's charts are legible.
    lead_page.goto(f"{live_server.url}/dashboard/")
    # Four portfolio charts and the value panel's six.
    assert lead_page.locator("svg.chart").count() == 10
    assert smallest_chart_label_px(lead_page) >= 12


def test_it_finds_no_blocking_problem_on_the_sponsors_pages(
    pages, live_server, people_and_use_case
) -> None:
    use_case, review = people_and_use_case
    sponsor_page = pages(live_server, "sponsor")
    for path in (
        "/",
        f"/use-cases/{use_case.pk}/",
        f"/use-cases/{use_case.pk}/readiness/",
        f"/use-cases/{use_case.pk}/value/",
        f"/reviews/{review.pk}/",
        "/inbox/",
    ):
        check(sponsor_page, f"{live_server.url}{path}")


def focused_element(page: Page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}.${e.className}`; }"
    )


def test_it_moves_the_focus_to_the_error_after_a_refused_plain_post(
    page: Page, live_server
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong-password")
    page.locator("form:has(#id_password) [type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator(".alert-error")).to_be_visible()
    expect(page.locator(".alert-error")).to_be_focused()


def test_it_moves_the_focus_to_the_first_invalid_field_after_a_refused_htmx_submit(
    pages, live_server, people_and_use_case
) -> None:
    sponsor_page = pages(live_server, "sponsor")
    sponsor_page.goto(f"{live_server.url}/use-cases/new/")
    sponsor_page.fill("#id_summary", "Route incoming claims.")
    sponsor_page.get_by_role("button", name="Propose use case").click()
    expect(sponsor_page.locator("#id_title")).to_have_attribute("aria-invalid", "true")
    expect(sponsor_page.locator("#id_title")).to_be_focused()
    assert_accessible(sponsor_page)
