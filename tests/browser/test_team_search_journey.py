"""A sponsor adds a colleague to the team by typing part of their name: the
person select offers whom the search matches as they type, never everyone.
The page with the search passes axe, and a search typed the moment the
form comes back from a swap is answered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD, login
from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory

pytestmark = pytest.mark.browser


def claims_case():
    """A use case whose sponsor (``sponsor``) signs in with the journey password."""
    sponsor = UserFactory(username="sponsor", first_name="Sam", last_name="Sponsor")
    sponsor.set_password(JOURNEY_PASSWORD)
    sponsor.save()
    return UseCaseFactory(
        title="Claims triage assistant",
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=sponsor,
    )


def test_a_sponsor_finds_a_colleague_by_name_and_adds_them(page: Page, live_server) -> None:
    otto = UserFactory(username="otto", first_name="Otto", last_name="Outsider")
    for n in range(12):
        UserFactory(username=f"colleague{n}", first_name="Col", last_name=f"League {n}")
    use_case = claims_case()

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


# Types into the search box of whatever an htmx swap just put on the page,
# in the first task after the swap: faster than any hand, as a paste or a
# test driver can be.
TYPE_AT_ONCE = """(term) => {
  document.body.addEventListener("htmx:afterSwap", () => {
    setTimeout(() => {
      const box = document.getElementById("id_user__search");
      box.value = term;
      box.dispatchEvent(new Event("input", {bubbles: true}));
    }, 0);
  }, {once: true});
}"""


def test_a_search_typed_the_moment_the_team_form_comes_back_is_answered(
    page: Page, live_server
) -> None:
    otto = UserFactory(username="otto", first_name="Otto", last_name="Outsider")
    olga = UserFactory(username="olga", first_name="Olga", last_name="Outsider")
    use_case = claims_case()

    login(page, live_server, "sponsor", JOURNEY_PASSWORD)
    page.goto(f"{live_server.url}{use_case.get_absolute_url()}")
    page.fill("#id_user__search", "otto")
    page.locator("#id_user").select_option(str(otto.pk))
    page.select_option("#id_role", "contributor")
    page.evaluate(TYPE_AT_ONCE, "olga")
    page.locator("#team").get_by_role("button", name="Add to team").click()
    expect(page.locator("#team table")).to_contain_text("Otto Outsider")
    # The form that came back heard the search typed into it at once.
    expect(page.locator(f'#id_user option[value="{olga.pk}"]')).to_have_count(1)
