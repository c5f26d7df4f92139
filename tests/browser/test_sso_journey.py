"""Single sign-on in the browser: "Sign in with ..." on the sign-in page, the
provider's own login page (npm's oidc-provider on loopback), and back on
StageGate signed in with the roles the group mappings give; a later sign-in
after an administrator changed the mappings takes the role away. With
passwords off, the sign-in page refuses one, except to a break-glass account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import Page, expect

from core.models import AuditEvent
from identity import services
from identity.models import GroupMapping
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login
from tests.identity.oidc_provider import oidc_provider  # noqa: F401  (a fixture)
from usecases.models import OrgRole

pytestmark = pytest.mark.browser


# The provider's stock login page imports a web font from the internet; the
# journey stays on loopback, as the product must: anything else is refused.
OFF_LOOPBACK = re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)[:/])")


def sign_in_through_the_provider(page: Page, live_server, login: str) -> None:
    page.route(OFF_LOOPBACK, lambda route: route.abort())
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


def test_with_passwords_off_only_the_break_glass_account_signs_in_with_one(page: Page, live_server):
    User = get_user_model()
    User.objects.create_user("lead", password="lead-pass-123")
    User.objects.create_superuser("breakglass", "bg@example.com", "glass-pass-123")
    off = {
        "OIDC_ISSUER": "http://127.0.0.1:9",
        "OIDC_CLIENT_ID": "stagegate",
        "OIDC_CLIENT_SECRET": "unused",
        "OIDC_PROVIDER_NAME": "Contoso ID",
        "LOCAL_LOGIN": False,
        "BREAK_GLASS_USERS": ["breakglass"],
    }
    with override_settings(**off):
        page.goto(f"{live_server.url}/accounts/login/")
        expect(page.get_by_role("link", name="Sign in with Contoso ID")).to_be_visible()
        expect(page.locator("main")).to_contain_text("kept for break-glass accounts")
        assert_accessible(page)

        page.fill("#id_username", "lead")
        page.fill("#id_password", "lead-pass-123")
        page.locator("form:has(#id_password) [type=submit]").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "Signing in with a password is turned off: sign in with Contoso ID instead."
        )
        assert "/accounts/login/" in page.url

        login(page, live_server, "breakglass", "glass-pass-123")
        expect(page.get_by_role("navigation", name="Main")).to_contain_text("Admin")
