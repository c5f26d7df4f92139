"""A sponsor names the owner of a readiness checklist item by typing part of
their name: the owner select offers whom the search matches, never everyone,
and the page with fifteen of these passes axe. A program lead delegates
their seats to a colleague found the same way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from readiness.models import ChecklistItem
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD, login
from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory

pytestmark = pytest.mark.browser


def signed(username: str, first: str, last: str):
    user = UserFactory(username=username, first_name=first, last_name=last)
    user.set_password(JOURNEY_PASSWORD)
    user.save()
    return user


def test_a_sponsor_finds_the_owner_of_a_checklist_item_by_name(page: Page, live_server) -> None:
    sponsor = signed("sponsor", "Sam", "Sponsor")
    olga = UserFactory(username="olga", first_name="Olga", last_name="Operations")
    for n in range(12):
        UserFactory(username=f"colleague{n}", first_name="Col", last_name=f"League {n}")
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=sponsor,
    )

    login(page, live_server, "sponsor", JOURNEY_PASSWORD)
    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/readiness/")
    owner = page.locator("#id_item4-owner")
    expect(owner.locator("option")).to_have_count(1)  # nobody yet, alone
    assert_accessible(page)

    page.fill("#id_item4-owner__search", "olga oper")
    expect(owner.locator(f'option[value="{olga.pk}"]')).to_have_count(1)
    expect(owner.locator("optgroup")).to_have_attribute("label", "1 person matches “olga oper”")
    owner.select_option(str(olga.pk))
    page.select_option("#id_item4-status", "done")
    page.fill("#id_item4-evidence", "Load test report, 3 Nov.")
    page.locator("#item4").get_by_role("button", name="Save").click()
    expect(page.locator("#item4")).to_contain_text("Owner: Olga Operations")
    item = ChecklistItem.objects.get(use_case=use_case, definition__number=4)
    assert item.owner == olga
    # The saved owner stays chosen, still without a select of everyone.
    expect(page.locator("#id_item4-owner option:checked")).to_have_text("Olga Operations (olga)")
    expect(page.locator("#id_item4-owner option")).to_have_count(2)


def test_a_lead_delegates_to_a_colleague_found_by_name(page: Page, live_server) -> None:
    signed("lead", "Lena", "Lead")
    dana = UserFactory(username="dana", first_name="Dana", last_name="Delegate")
    UserFactory(username="dan", first_name="Dan", last_name="Other")

    login(page, live_server, "lead", JOURNEY_PASSWORD)
    page.goto(f"{live_server.url}/delegations/")
    delegate = page.locator("select[name=delegate]")
    page.locator("input[name=delegate__search]").fill("dan")
    expect(delegate.locator("optgroup")).to_have_attribute("label", "2 people match “dan”")
    page.locator("input[name=delegate__search]").fill("dana")
    expect(delegate.locator("optgroup")).to_have_attribute("label", "1 person matches “dana”")
    delegate.select_option(str(dana.pk))
    assert_accessible(page)
