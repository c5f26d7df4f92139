"""Single sign-on in the browser: "Sign in with ..." on the sign-in page, the
provider's own login page (npm's oidc-provider on loopback), and back on
StageGate signed in with the roles the group mappings give; a later sign-in
after an administrator changed the mappings takes the role away."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import Page, expect

from core.models import AuditEvent
from identity import services
from identity.models import GroupMapping
from tests.identity.oidc_provider import oidc_provider  # noqa: F401  (a fixture)
from usecases.models import OrgRole

pytestmark = pytest.mark.browser


def sign_in_through_the_provider(page: Page, live_server, login: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    # The provider's page, on its own origin.
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/interaction/"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any-password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/oidc/" not in url)


def test_a_program_lead_signs_in_through_the_provider(
    page: Page,
    live_server,
    oidc_provider,  # noqa: F811  (the fixture imported above)
):
    User = get_user_model()
    admin = User.objects.create_superuser("admin", "admin@example.com", "admin-pass-123")
    GroupMapping.objects.create(idp_group="stagegate-program-leads", org_role=OrgRole.PROGRAM_LEAD)
    provider = oidc_provider([f"{live_server.url}/oidc/callback/"])

    with override_settings(**provider.settings()):
        sign_in_through_the_provider(page, live_server, "sso-lead")
        expect(page.locator(".whoami")).to_contain_text("Lena Lead")
        # A program lead sees the whole portfolio: the dashboard is in the menu.
        expect(page.get_by_role("navigation", name="Main")).to_contain_text("Dashboard")
        user = User.objects.get(username="sso-lead")
        assert set(user.groups.values_list("name", flat=True)) == {OrgRole.PROGRAM_LEAD}

        # An administrator maps the provider's leads to executives instead.
        services.group_mapping_update(
            by=admin,
            mapping=GroupMapping.objects.get(idp_group="stagegate-program-leads"),
            org_role=OrgRole.EXECUTIVE,
        )
        page.get_by_role("button", name="Sign out").click()
        page.context.clear_cookies()
        sign_in_through_the_provider(page, live_server, "sso-lead")

        # Executives land on the dashboard; the program lead's role is gone.
        expect(page).to_have_url(re.compile(r"/dashboard/$"))
        assert set(user.groups.values_list("name", flat=True)) == {OrgRole.EXECUTIVE}
        synced = AuditEvent.objects.filter(action="identity.roles_synced").order_by("seq")
        assert synced.last().payload["roles_removed"] == [OrgRole.PROGRAM_LEAD]
