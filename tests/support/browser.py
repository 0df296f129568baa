"""Playwright driving Debian's Chromium (never ``playwright install``)."""

import pytest

from tests.support.services import CHROMIUM

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _playwright_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_playwright_browser):
    context = _playwright_browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def dutch_page(_playwright_browser):
    """A page in a Dutch browser: nl-NL locale and Accept-Language (the site answers in Dutch)."""
    context = _playwright_browser.new_context(
        viewport={"width": 1400, "height": 900},
        locale="nl-NL",
        extra_http_headers={"Accept-Language": "nl-NL,nl;q=0.9"},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login_any_language(page, live_server, username: str, password: str = "pw-for-tests-only") -> None:
    """``login`` by the fields' ids, so it works whatever the language of the page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def login(page, live_server, username: str, password: str = "pw-for-tests-only") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.keyboard.press("Enter")
    # wait until the login redirect has landed somewhere other than the login page
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
