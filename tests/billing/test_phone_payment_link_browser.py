"""A phone order paid by iDEAL: after placing it, the phone screen stays with the customer and
shows the provider's payment link to read out or copy as soon as billing has made it."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from orders.models import Order
from tests.factories.payments import dispatch_pending
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_phone_screen_shows_the_payment_link_after_placing(
    live_server, browser_page, make_user, shop, fake_mollie, no_delivery, settings
):
    settings.OMS_DELIVERY_QUOTE_BACKEND = "orders.quotes.quote_delivery"
    make_user("customer_service", username="cas")
    page = browser_page
    login(page, live_server, "cas")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(live_server.url + reverse("orders:enter"))
    page.keyboard.type("Anna Smit", delay=20)
    expect(page.get_by_test_id("customer-option")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/orders/enter/\d+/$"))
    expect(page.locator("#add-code")).to_be_focused()
    page.keyboard.type("MUG-RED", delay=20)
    page.keyboard.press("Enter")
    expect(page.locator("#add-quantity")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("entry-line")).to_have_count(1)
    # the only service (orders' flat rate) is offered and chosen
    expect(page.locator("input[name=shipping_method]:checked")).to_have_value("flat:standard")
    page.get_by_test_id("payment-method").select_option("ideal")
    for _ in range(50):  # the choice is saved by an htmx request of its own
        if Order.objects.filter(customer=shop.consumer, payment_method="ideal").exists():
            break
        page.wait_for_timeout(100)
    page.wait_for_load_state("networkidle")

    # when the agent places it (Alt+P)
    page.keyboard.press("Alt+p")
    # then the screen says it is placed and waits for the link, which billing then makes
    expect(page.get_by_test_id("entry-placed")).to_be_visible()
    order = Order.objects.get(customer=shop.consumer)
    assert order.payment_method == "ideal" and order.channel == "phone"
    expect(page.get_by_test_id("placed-number")).to_contain_text(order.number)
    dispatch_pending()  # the worker's part: order.placed asks Mollie for the payment
    order.refresh_from_db()
    assert order.payment_url.startswith("https://")
    url_field = page.get_by_test_id("placed-payment-url")
    expect(url_field).to_have_value(order.payment_url)
    # and Alt+C puts the cursor on it, selected, to copy; Alt+N starts the next call
    page.keyboard.press("Alt+c")
    expect(url_field).to_be_focused()
    page.get_by_test_id("copy-payment-url").click()
    page.keyboard.press("Alt+n")
    page.wait_for_url(live_server.url + reverse("orders:enter"))
