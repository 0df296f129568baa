"""Customer service on the phone: the order page shows the payment link to read out, and "Send
link again" e-mails it, in place (htmx), with the keyboard."""

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from orders.models import Order
from tests.factories.payments import dispatch_pending, place
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_order_page_shows_the_link_and_sends_it_again(
    live_server, browser_page, make_user, shop, fake_mollie, no_delivery
):
    order = place(shop.consumer, ("MUG-RED", 1), method="ideal", channel="phone")
    dispatch_pending()
    order = Order.objects.get(pk=order.pk)
    assert order.payment_url
    mail.outbox.clear()
    make_user("customer_service", username="cas")
    page = browser_page
    login(page, live_server, "cas")
    page.goto(live_server.url + reverse("orders:detail", args=[order.number]))
    expect(page.get_by_test_id("payment-url")).to_have_value(order.payment_url)
    send = page.get_by_test_id("payment-link-send")
    send.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("panel-message")).to_contain_text("Payment link sent to anna@example.nl")
    (message,) = mail.outbox
    assert order.payment_url in message.body
