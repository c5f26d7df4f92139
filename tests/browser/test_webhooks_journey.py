"""An administrator registers a Slack endpoint in the browser (a wrong URL
first, refused in place), presses "Send test" and watches the delivery log
say it was delivered to a real receiver on loopback."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PASSWORD = "admin-pass-123"


def test_an_administrator_registers_an_endpoint_and_sends_a_test(
    page: Page, live_server, httpserver, settings
) -> None:
    settings.SITE_URL = live_server.url
    httpserver.expect_request("/slack").respond_with_data("ok")
    get_user_model().objects.create_superuser(username="admin", password=PASSWORD)
    login(page, live_server, "admin", PASSWORD)

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    assert_accessible(page)
    page.fill("#id_name", "Board channel")
    page.fill("#id_url", "ftp://files.example.com/hook")
    page.get_by_label("Slack incoming webhook").check()
    page.get_by_label("Gate decided").check()
    page.get_by_label("Gate pack ready").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#new-endpoint .errorlist")).to_contain_text(
        "The URL must start with http:// or https:// (not ftp)."
    )

    page.fill("#id_url", httpserver.url_for("/slack"))
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/integrations/webhooks/\d+/$"))
    expect(page.locator("#log")).to_contain_text("Nothing sent yet.")

    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#log")).to_contain_text("Test message queued.")
    expect(page.locator("#log .delivery").first).to_contain_text("Delivered")
    assert_accessible(page)

    [(request, _response)] = httpserver.log
    body = json.loads(request.get_data())
    assert "Test message from StageGate" in body["text"]
    assert f"{live_server.url}/integrations/webhooks/" in body["text"]
