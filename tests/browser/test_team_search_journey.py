"""A sponsor adds a colleague to the team by typing part of their name: the
person select offers whom the search matches as they type, never everyone.
The page with the search passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD, login
from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_sponsor_finds_a_colleague_by_name_and_adds_them(page: Page, live_server) -> None:
    sponsor = UserFactory(username="sponsor", first_name="Sam", last_name="Sponsor")
    sponsor.set_password(JOURNEY_PASSWORD)
    sponsor.save()
    otto = UserFactory(username="otto", first_name="Otto", last_name="Outsider")
    for n in range(12):
        UserFactory(username=f"colleague{n}", first_name="Col", last_name=f"League {n}")
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=sponsor,
    )

    login(page, live_server, "sponsor", JOURNEY_PASSWORD)
    page.goto(f"{live_server.url}{use_case.get_absolute_url()}")
    person = page.locator("#id_user")
    expect(person.locator("option")).to_have_count(1)  # the prompt alone
    assert_accessible(page)

    page.fill("#id_user__search", "outsi")
    expect(person.locator(f'option[value="{otto.pk}"]')).to_have_count(1)
    expect(person.locator("option")).to_have_count(2)
    person.select_option(str(otto.pk))
    page.select_option("#id_role", "contributor")
    page.locator("#team").get_by_role("button", name="Add to team").click()
    expect(page.locator("#team table")).to_contain_text("Otto Outsider")
    assert use_case.members.filter(user=otto, role="contributor").exists()
