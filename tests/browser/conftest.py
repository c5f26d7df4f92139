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
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

# The real S3-compatible store on loopback, for the journeys that need one.
from tests.storage.conftest import object_store, on_object_store  # noqa: F401

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
# Console messages that mean the page broke its own Content Security Policy
# (an inline style or script, a resource from elsewhere): the browser refused
# it, so the page a user sees is not the page we wrote.
CSP_MARKERS = (
    "content security policy",
    "refused to apply inline style",
    "refused to execute inline",
    "refused to load",
    "refused to connect",
)


def watch_console(context: BrowserContext, problems: list[str]) -> Page:
    """Open a page in the context and record every CSP violation and uncaught
    script error of it and of any page it opens, for the fixture to fail the
    test on at teardown."""

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if any(marker in text.lower() for marker in CSP_MARKERS):
            problems.append(f"console {message.type}: {text} ({message.location.get('url')})")

    def on_page_error(error: Error) -> None:
        problems.append(f"page error: {error.message}")

    watched: set[int] = set()

    def on_page(page: Page) -> None:
        if id(page) in watched:
            return
        watched.add(id(page))
        page.on("console", on_console)
        page.on("pageerror", on_page_error)

    # Pages the first one opens (a download tab, a popup) are watched too.
    context.on("page", on_page)
    page = context.new_page()
    on_page(page)
    return page


def fail_on_console_problems(problems: list[str]) -> None:
    if problems:
        pytest.fail(
            "The browser reported CSP violations or script errors:\n"
            + "\n".join(f"- {problem}" for problem in problems),
            pytrace=False,
        )


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
    problems: list[str] = []
    page = watch_console(context, problems)
    yield page
    context.close()
    fail_on_console_problems(problems)


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
    problems: list[str] = []

    def open_as(live_server, username: str) -> Page:
        context = browser.new_context(locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = watch_console(context, problems)
        login(page, live_server, username, JOURNEY_PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()
    fail_on_console_problems(problems)
