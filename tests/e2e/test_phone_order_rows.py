"""On the phone screen a changed or added line swaps in its own row (and the rows of the same
product after it), and a removed line deletes its own row (the rows after it renumbered), with
the totals out of band; the other rows stay as they are."""

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


def _draft_on_screen(live_server, page, make_user, lines: list[tuple[str, int]]) -> Order:
    """A phone draft of ``lines`` (SKU, quantity) for Wilma, open on the screen of Carla
    (customer service). In stock at AMS: 4 MUG-RED, 5 BOOK-1, 3 LAMP-9."""
    from orders.quotes import clear_warehouse_cache
    from orders.services import order_draft_create, order_draft_set_lines

    clear_warehouse_cache()
    ams = WarehouseFactory(code="AMS", priority=10)
    products = {
        "MUG-RED": (ProductFactory(sku="MUG-RED", name="Red mug", list_price=Decimal("8.26")), 4),
        "BOOK-1": (ProductFactory(sku="BOOK-1", name="A book", list_price=Decimal("20.00"), vat_category="low"), 5),
        "LAMP-9": (ProductFactory(sku="LAMP-9", name="Desk lamp", list_price=Decimal("31.50")), 3),
    }
    for product, units in products.values():
        stock(product, ams, units)
    customer = CustomerFactory(name="Wilma Telefoon")
    AddressFactory(customer=customer, kind="shipping", postal_code="3511 AB")
    draft = order_draft_create(channel="phone", customer=customer, user=None)
    wanted = [{"product_id": products[sku][0].pk, "quantity": quantity} for sku, quantity in lines]
    order_draft_set_lines(order=draft, lines=wanted, user=None)
    make_user("customer_service", username="carla")
    login(page, live_server, "carla")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orders/enter/{draft.pk}/")
    return draft


@override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="4.95")
def test_a_changed_quantity_and_an_added_line_swap_only_their_rows(live_server, browser_page, make_user):
    # given a draft whose third line (the mug again) is short by one
    page = browser_page
    draft = _draft_on_screen(live_server, page, make_user, [("MUG-RED", 2), ("BOOK-1", 1), ("MUG-RED", 3)])
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


@override_settings(OMS_DELIVERY_QUOTE_BACKEND="orders.quotes.quote_delivery", OMS_FLAT_SHIPPING_AMOUNT="4.95")
def test_a_removed_line_deletes_only_its_row_and_the_cursor_stays_in_the_lines(live_server, browser_page, make_user):
    # given a draft: mug 2, book 1, lamp 1, mug 3 (the last mug short by one)
    page = browser_page
    lines = [("MUG-RED", 2), ("BOOK-1", 1), ("LAMP-9", 1), ("MUG-RED", 3)]
    draft = _draft_on_screen(live_server, page, make_user, lines)
    rows = page.get_by_test_id("entry-line")
    expect(rows.nth(3).get_by_test_id("backorder-warning")).to_contain_text("1 backordered")
    book_row = rows.nth(1).evaluate_handle("row => row")  # the very elements, to see they are kept
    lamp_row = rows.nth(2).evaluate_handle("row => row")

    # when the first mug line is removed with the keyboard (its remove button and Enter)
    rows.nth(0).get_by_role("button", name="Remove MUG-RED").focus()
    page.keyboard.press("Enter")

    # then its row is gone, the others are the same elements with their new numbers
    expect(rows).to_have_count(3)
    expect(page.locator('[data-testid="entry-line"] td:first-child')).to_have_text(["1", "2", "3"])
    expect(rows.nth(0)).to_have_attribute("data-sku", "BOOK-1")
    assert page.evaluate("row => row.isConnected", book_row) and page.evaluate("row => row.isConnected", lamp_row)
    # and the later mug line is no longer short; the count and the totals follow
    expect(rows.nth(2).get_by_test_id("backorder-warning")).to_have_count(0)
    expect(page.get_by_test_id("line-count")).to_have_text("3")
    expect(page.get_by_test_id("entry-gross")).to_have_text(_eur(Order.objects.get(pk=draft.pk).gross_amount))
    # and the cursor is in the quantity of the row now in its place
    expect(rows.nth(0).get_by_test_id("line-quantity")).to_be_focused()

    # when the last line is removed by typing 0 as its quantity
    quantity = rows.nth(2).get_by_test_id("line-quantity")
    quantity.fill("0")
    quantity.press("Enter")

    # then the cursor goes to the row before it, and the book and lamp rows are still the same
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_test_id("line-quantity")).to_be_focused()
    assert page.evaluate("row => row.isConnected", book_row) and page.evaluate("row => row.isConnected", lamp_row)
    expect(page.get_by_test_id("line-count")).to_have_text("2")
    expect(page.get_by_test_id("entry-gross")).to_have_text(_eur(Order.objects.get(pk=draft.pk).gross_amount))
