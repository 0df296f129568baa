"""In the browser: the manager's home shows the charts, a number opens its filtered list with
the same count, and the header search finds and opens a record from the keyboard."""

from __future__ import annotations

import pytest

from orders.models import OrderStatus
from tests.factories.customers import CustomerFactory
from tests.factories.orders import OrderFactory
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_home_shows_charts_and_a_number_opens_its_list(live_server, browser_page, make_user):
    make_user("manager", username="mia")
    customer = CustomerFactory()
    for _ in range(3):
        OrderFactory(customer=customer, status=OrderStatus.ON_HOLD)
    OrderFactory(customer=customer, status=OrderStatus.ALLOCATED)
    page = browser_page
    login(page, live_server, "mia")
    page.goto(f"{live_server.url}/")
    page.locator("#panel-orders-funnel svg[role=img]").wait_for()
    page.locator("#panel-orders-revenue svg[role=img]").wait_for()
    page.locator("#panel-shipping-delivery-time svg[role=img]").wait_for()
    on_hold = page.locator("[data-stat=on-hold]")
    assert on_hold.inner_text() == "3"
    on_hold.click()
    page.wait_for_url("**/orders/?status=on_hold")
    assert page.get_by_test_id("order-row").count() == 3


def test_header_search_finds_and_opens_a_record_from_the_keyboard(live_server, browser_page, make_user):
    make_user("customer_service", username="sam")
    customer = CustomerFactory(name="Pieter Wijnberg")
    order = OrderFactory(customer=customer)
    page = browser_page
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/")
    page.keyboard.press("/")  # the home page has no search of its own: the header box
    page.keyboard.type("wijnberg")
    page.locator(f"#header-search-results [data-kind=orders]:has-text('{order.number}')").wait_for()
    page.keyboard.press("ArrowDown")  # the first hit: the customer
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{customer.number}/")
    # a typed number and Enter opens the record directly
    page.locator("#header-search-input").fill(order.number)
    page.locator("#header-search-input").press("Enter")
    page.wait_for_url(f"**/orders/{order.number}/")
