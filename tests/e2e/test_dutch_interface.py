"""The Dutch interface is Dutch throughout, and small things every page gets right (issue 19):
the greeting names the role in Dutch, the timeline and the counter's Cash button are Dutch,
one menu entry is highlighted on the phone-order page, and the site has a favicon."""

import re

import pytest
from playwright.sync_api import expect

from orders.services import order_draft_create
from tests.factories.customers import CustomerFactory
from tests.support.browser import login, login_any_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_greeting_timeline_and_cash_button_are_dutch(live_server, dutch_page, make_user):
    # a demo user: its first name is its role's English name (seed_demo_users)
    user = make_user("customer_service", username="cs", first_name="Customer service")
    draft = order_draft_create(channel="phone", customer=CustomerFactory(), user=user)
    page = dutch_page
    login_any_language(page, live_server, "cs")
    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("Goedendag, Klantenservice")
    page.goto(f"{live_server.url}/orders/{draft.number}/")
    entry = page.get_by_test_id("timeline-entry").first
    expect(entry).to_contain_text(f"Concept gestart voor {draft.customer.number}.")
    page.goto(f"{live_server.url}/billing/counter/")
    expect(page.get_by_test_id("counter-method-cash")).to_contain_text("Contant")


def test_one_menu_entry_is_highlighted_on_the_phone_order_page(live_server, browser_page, make_user):
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    page.goto(f"{live_server.url}/orders/enter/")
    active = page.locator("#main-nav a.nav-link.active")
    expect(active).to_have_count(1)
    expect(active).to_have_text(re.compile("Phone order"))


def test_every_page_links_a_favicon_that_exists(live_server, browser_page, make_user):
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    href = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and response.body()[:4] == b"\x00\x00\x01\x00"
