"""Customer service takes a phone order without touching the mouse: finds the customer, adds
three lines (one of them backordered), places it and lands on the order page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from oms.money import format_eur
from orders import pricing
from orders.models import Order
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ExpectedReceiptFactory, ProductFactory, WarehouseFactory, stock
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _eur(amount) -> str:
    return format_eur(amount).replace("\u00a0", " ")


@override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="4.95")
def test_phone_order_is_entered_with_the_keyboard_only(live_server, browser_page, make_user):
    # given a customer, two products in stock and one that is short, with a receipt on its way
    from orders.quotes import clear_warehouse_cache

    clear_warehouse_cache()
    ams = WarehouseFactory(code="AMS", priority=10)
    stock(ProductFactory(sku="MUG-RED", name="Red mug", list_price=Decimal("8.26")), ams, 10)
    stock(ProductFactory(sku="BOOK-1", name="A book", list_price=Decimal("20.00"), vat_category="low"), ams, 5)
    lamp = ProductFactory(sku="LAMP-9", name="Desk lamp", list_price=Decimal("31.50"))
    stock(lamp, ams, 1)
    receipt = ExpectedReceiptFactory(product=lamp, warehouse=ams, expected_date=timezone.localdate() + timedelta(6))
    customer = CustomerFactory(name="Wilma Telefoon", email="wilma@example.nl")
    AddressFactory(customer=customer, kind="shipping", street="Oudegracht", house_number="7", postal_code="3511 AB")
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orders/enter/")

    # when the agent finds the customer by name: the cursor is in the search, Enter picks
    assert page.evaluate("document.activeElement.id") == "customer-search"
    page.keyboard.type("wilma tel", delay=20)
    expect(page.get_by_test_id("customer-option")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/orders/enter/\d+/$"))
    expect(page.get_by_test_id("entry-customer-name")).to_contain_text("Wilma Telefoon")
    expect(
        page.locator("#add-code")
    ).to_be_focused()  # not wait_for_function: it evaluates a string, which the CSP forbids

    # and adds three lines: SKU or name, Enter picks, quantity, Enter adds and returns to the search
    for number, (typed, quantity) in enumerate([("MUG-R", "2"), ("a book", "1"), ("LAMP", "3")], start=1):
        page.keyboard.type(typed, delay=20)
        page.keyboard.press("Enter")
        expect(page.locator("#add-quantity")).to_be_focused()
        page.keyboard.type(quantity)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("entry-line")).to_have_count(number)
        expect(page.locator("#add-code")).to_be_focused()

    # then the lamp is flagged as backordered with the date the receipt is expected
    lamp_row = page.locator('[data-testid=entry-line][data-sku="LAMP-9"]')
    expect(lamp_row.get_by_test_id("backorder-warning")).to_contain_text("2 backordered")
    expect(lamp_row.get_by_test_id("backorder-warning")).to_contain_text(receipt.expected_date.strftime("%a %-d %b"))
    expect(page.get_by_test_id("backorder-summary")).to_be_visible()

    # when the agent places it (Alt+P)
    page.keyboard.press("Alt+p")
    page.wait_for_url(re.compile(r".*/orders/SO-\d{6}/$"))

    # then the order page shows the order as the service computed it
    order = Order.objects.get(customer=customer)
    lines = list(order.lines.order_by("line_no"))
    assert [(line.sku, line.quantity, line.quantity_backordered) for line in lines] == [
        ("MUG-RED", 2, 0),
        ("BOOK-1", 1, 0),
        ("LAMP-9", 3, 2),
    ]
    expected = pricing.order_totals(
        ((line.line_total, line.vat_rate) for line in lines),
        Decimal("4.95"),
        Decimal("21"),
        prices_include_vat=order.prices_include_vat,  # a consumer: shelf prices incl. VAT
    )
    assert (order.net_amount, order.vat_amount, order.gross_amount) == (expected.net, expected.vat, expected.gross)
    assert order.status == "backordered" and order.channel == "phone" and order.entered_by.username == "carla"
    expect(page.get_by_test_id("order-title")).to_contain_text(order.number)
    expect(page.get_by_test_id("order-status")).to_contain_text("Backordered")
    expect(page.get_by_test_id("total-net")).to_have_text(_eur(expected.net))
    expect(page.get_by_test_id("total-vat")).to_have_text(_eur(expected.vat))
    expect(page.get_by_test_id("total-gross")).to_have_text(_eur(expected.gross))
    lamp_line = page.locator('[data-testid=order-line][data-sku="LAMP-9"]')
    expect(lamp_line.get_by_test_id("backordered")).to_have_text("2")
    expect(lamp_line.get_by_test_id("allocated")).to_have_text("1")
