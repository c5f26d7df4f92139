"""Playwright journeys in Debian's headless Chromium against pytest-django's
live server.

The live server runs with TransactionTestCase semantics: the database is
flushed after every test, which also removes the rows the data migrations
wrote (the organisation-role groups and the gate framework).
``tests.conftest`` puts them back before each such test and runs these
tests last; create everything else inside the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The password of the people the multi-person journeys sign in as.
JOURNEY_PASSWORD = "journey-pass-123"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(scripts/ensure-services.sh does it as root)."
        )
    # Playwright's sync API keeps an event loop in the test thread, where
    # Django's ORM then refuses to run. Allow it for the rest of the session
    # only (browser journeys run last), so no other test, nor a subprocess such
    # as `manage.py check --deploy`, inherits the setting.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, live_server, username: str, password: str) -> None:
    """Sign in through the real login form and wait until it has gone."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form:has(#id_password) [type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def pages(browser: Browser) -> Iterator:
    """A separate browser context per person, so several people can be signed
    in at once; each signs in with JOURNEY_PASSWORD."""
    contexts = []

    def open_as(live_server, username: str) -> Page:
        context = browser.new_context(locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        login(page, live_server, username, JOURNEY_PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()
