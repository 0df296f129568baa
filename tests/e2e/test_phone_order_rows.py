"""On the phone screen a changed or added line swaps in its own row (and the rows of the same
product after it) with the totals out of band; the other rows stay as they are."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from oms.money import format_eur
from orders.models import Order
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.factories.inventory import ProductFactory, WarehouseFactory, stock
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _eur(amount) -> str:
    return format_eur(amount).replace("\u00a0", " ")


@override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="4.95")
def test_a_changed_quantity_and_an_added_line_swap_only_their_rows(live_server, browser_page, make_user):
    from orders.quotes import clear_warehouse_cache
    from orders.services import order_draft_create, order_draft_set_lines

    # given a draft whose third line (the mug again) is short by one
    clear_warehouse_cache()
    ams = WarehouseFactory(code="AMS", priority=10)
    mug = ProductFactory(sku="MUG-RED", name="Red mug", list_price=Decimal("8.26"))
    stock(mug, ams, 4)
    book = ProductFactory(sku="BOOK-1", name="A book", list_price=Decimal("20.00"), vat_category="low")
    stock(book, ams, 5)
    stock(ProductFactory(sku="LAMP-9", name="Desk lamp", list_price=Decimal("31.50")), ams, 3)
    customer = CustomerFactory(name="Wilma Telefoon")
    AddressFactory(customer=customer, kind="shipping", postal_code="3511 AB")
    draft = order_draft_create(channel="phone", customer=customer, user=None)
    lines = [{"product_id": mug.pk, "quantity": 2}, {"product_id": book.pk, "quantity": 1}]
    order_draft_set_lines(order=draft, lines=[*lines, {"product_id": mug.pk, "quantity": 3}], user=None)
    make_user("customer_service", username="carla")
    page = browser_page
    login(page, live_server, "carla")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orders/enter/{draft.pk}/")
    rows = page.get_by_test_id("entry-line")
    expect(rows.nth(2).get_by_test_id("backorder-warning")).to_contain_text("1 backordered")
    book_row = rows.nth(1).evaluate_handle("row => row")  # the very element, to see it is kept

    # when the first mug line goes from 2 to 1
    quantity = rows.nth(0).get_by_test_id("line-quantity")
    quantity.fill("1")
    quantity.press("Enter")

    # then the later mug line is no longer short, the totals follow the order, the book row is untouched
    expect(rows.nth(2).get_by_test_id("backorder-warning")).to_have_count(0)
    expect(page.get_by_test_id("backorder-summary")).to_have_count(0)
    draft.refresh_from_db()
    expect(page.get_by_test_id("entry-gross")).to_have_text(_eur(draft.gross_amount))
    assert page.evaluate("row => row.isConnected", book_row)
    expect(rows).to_have_count(3)

    # when a fourth line is added with the keyboard
    page.locator("#add-code").focus()
    page.keyboard.type("LAMP", delay=20)
    page.keyboard.press("Enter")
    expect(page.locator("#add-quantity")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")

    # then it is appended as number 4, the count says 4, the cursor is back in the search
    expect(rows).to_have_count(4)
    expect(rows.nth(3)).to_have_attribute("data-sku", "LAMP-9")
    expect(rows.nth(3).locator("td").first).to_have_text("4")
    expect(page.get_by_test_id("line-count")).to_have_text("4")
    expect(page.locator("#add-code")).to_be_focused()
    assert page.evaluate("row => row.isConnected", book_row)
    order = Order.objects.get(pk=draft.pk)
    expect(page.get_by_test_id("entry-gross")).to_have_text(_eur(order.gross_amount))
    assert re.fullmatch(r"/orders/enter/\d+/", page.url.removeprefix(live_server.url))
