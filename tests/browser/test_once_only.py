"""Once only: a sponsor double-clicks "Propose use case" and gets exactly one
use case; a form the server refused can be corrected and sent again."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from core.models import AuditEvent
from tests.browser.conftest import login
from usecases.models import BusinessUnit, BusinessUnitMember, UseCase

pytestmark = pytest.mark.browser

PASSWORD = "sponsor-pass-123"
TITLE = "Claims triage assistant"


def test_it_creates_one_use_case_from_a_double_click(page: Page, live_server) -> None:
    sponsor = get_user_model().objects.create_user(username="sponsor", password=PASSWORD)
    claims = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    BusinessUnitMember.objects.create(business_unit=claims, user=sponsor)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    login(page, live_server, "sponsor", PASSWORD)

    page.goto(f"{live_server.url}/use-cases/new/")
    submit = page.get_by_role("button", name="Propose use case")
    # Refused first (no title): the button comes back, so the form can be sent again.
    page.fill("#id_summary", "Route incoming claims to the right handler.")
    page.locator("#id_business_unit").select_option(label="Claims Operations")
    submit.click()
    expect(page.locator("form .errorlist").first).to_be_visible()
    expect(submit).to_be_enabled()
    assert not UseCase.objects.exists()

    page.fill("#id_title", TITLE)
    submit.dblclick()
    page.wait_for_url(re.compile(r"/use-cases/\d+/$"))
    expect(page.locator("main")).to_contain_text(TITLE)
    page.wait_for_load_state("networkidle")

    assert UseCase.objects.filter(title=TITLE).count() == 1
    use_case = UseCase.objects.get(title=TITLE)
    assert page.url.endswith(f"/use-cases/{use_case.pk}/")
    assert AuditEvent.objects.filter(action="usecase.created").count() == 1
    assert not [text for text in console if "Content Security Policy" in text]


def test_it_disables_the_submit_button_while_the_request_is_in_flight(
    page: Page, live_server
) -> None:
    sponsor = get_user_model().objects.create_user(username="sponsor", password=PASSWORD)
    claims = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    BusinessUnitMember.objects.create(business_unit=claims, user=sponsor)
    login(page, live_server, "sponsor", PASSWORD)

    page.goto(f"{live_server.url}/use-cases/new/")
    page.fill("#id_title", TITLE)
    page.fill("#id_summary", "Route incoming claims to the right handler.")
    page.locator("#id_business_unit").select_option(label="Claims Operations")
    # Hold the request so the button can be looked at while it is in flight.
    held = []
    page.route("**/use-cases/new/", lambda route: held.append(route))
    page.get_by_role("button", name="Propose use case").click()
    page.wait_for_function("() => document.querySelector('main form [type=submit]').disabled")
    assert len(held) == 1
    page.get_by_role("button", name="Propose use case").click(force=True)
    held[0].continue_()
    page.wait_for_url(re.compile(r"/use-cases/\d+/$"))
    assert len(held) == 1
    assert UseCase.objects.filter(title=TITLE).count() == 1
