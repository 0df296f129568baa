"""One shortcut mechanism on every screen (issue 19): Alt+<key> works wherever the screen offers
it, and each screen lists its shortcuts at the bottom. The pick and pack screens' tests are in
tests/shipping/test_shortcuts_browser.py (they need the fulfilment fixtures)."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _listed(page, key: str, label: str) -> None:
    expect(page.get_by_test_id("shortcut-list")).to_be_visible()
    expect(page.get_by_test_id(f"shortcut-{key}")).to_have_text(f"Alt+{key.upper()} {label}")


def test_phone_screen_alt_n_starts_a_new_customer(live_server, browser_page, make_user):
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    page.goto(f"{live_server.url}/orders/enter/")
    _listed(page, "n", "New customer")
    page.keyboard.press("Alt+n")
    expect(page.get_by_test_id("create-customer")).to_be_visible()


def test_counter_alt_c_takes_cash(live_server, browser_page, make_user):
    make_user("customer_service", username="sam")
    page = browser_page
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/billing/counter/")
    _listed(page, "c", "Cash")
    _listed(page, "p", "PIN")
    page.keyboard.press("Alt+c")
    expect(page.get_by_test_id("counter-method-cash")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("counter-tendered")).to_be_visible()


def test_purchasing_alt_n_opens_a_new_supplier(live_server, browser_page, make_user):
    make_user("purchasing", username="pim")
    page = browser_page
    login(page, live_server, "pim")
    page.goto(f"{live_server.url}/purchasing/suppliers/")
    _listed(page, "n", "New supplier")
    page.keyboard.press("Alt+n")
    page.wait_for_url("**/purchasing/suppliers/new/")


def test_customer_list_alt_n_opens_the_form(live_server, browser_page, make_user):
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    page.goto(f"{live_server.url}/customers/")
    _listed(page, "n", "New customer")
    page.keyboard.press("Alt+n")
    page.wait_for_url("**/customers/new/")
