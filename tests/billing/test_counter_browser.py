"""A store clerk sells over the counter with the keyboard: scan a barcode and a SKU, take cash,
see the change, complete, see the receipt-invoice; the stock went down."""

import re

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from inventory.models import StockLevel
from orders.models import Order
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_counter_sale_scan_pay_cash_see_change_and_receipt(live_server, browser_page, make_user, shop, no_delivery):
    make_user("customer_service", username="sam")
    page = browser_page
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/billing/counter/")

    # the scanner types into the focused field and ends with Enter
    expect(page.get_by_test_id("counter-scan")).to_be_focused()
    page.keyboard.type("8712345678906")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("counter-line")).to_have_count(1)
    expect(page.get_by_test_id("counter-scan")).to_be_focused()
    page.keyboard.type("2*MUG-RED")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("counter-line")).to_have_count(2)
    expect(page.get_by_test_id("counter-total")).to_have_text(re.compile(r"41,78"))

    # cash (Alt+C), 50 received: the change is shown and Enter completes the sale
    page.keyboard.press("Alt+c")
    expect(page.get_by_test_id("counter-tendered")).to_be_focused()
    page.keyboard.type("50")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("counter-change")).to_contain_text("8,22")
    expect(page.get_by_test_id("counter-complete")).to_be_focused()
    page.keyboard.press("Enter")

    # the receipt-invoice
    page.wait_for_url(re.compile(r".*/billing/counter/receipt/\d{4}-\d{6}/\?tendered=50.00$"))
    invoice = Invoice.objects.get()
    expect(page.get_by_test_id("receipt-number")).to_have_text(invoice.number)
    expect(page.get_by_test_id("receipt-total")).to_contain_text("41,78")
    expect(page.get_by_test_id("receipt-change")).to_contain_text("8,22")
    expect(page.get_by_test_id("receipt-line")).to_have_count(2)
    assert invoice.status == "paid" and Order.objects.get().status == "completed"
    levels = {lv.product.sku: lv.on_hand for lv in StockLevel.objects.select_related("product")}
    assert levels == {"MUG-RED": 18, "BOOK-1": 9}

    # Enter starts the next sale
    expect(page.get_by_test_id("counter-new-sale")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/billing/counter/")
    expect(page.get_by_test_id("counter-line")).to_have_count(0)


def test_thirty_scans_typed_without_delay_all_count_in_order(live_server, browser_page, make_user, shop, no_delivery):
    # given the counter, with the scanner in the scan field
    make_user("customer_service", username="sam")
    page = browser_page
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/billing/counter/")
    expect(page.get_by_test_id("counter-scan")).to_be_focused()
    # when 30 items are scanned with no pause between them, a book first, then a mug, and so on
    for index in range(30):
        page.keyboard.type("8712345678906" if index % 2 == 0 else "MUG-RED")
        page.keyboard.press("Enter")
    # then every scan counted, in the order scanned (the book's line first)
    expect(page.get_by_label("Quantity of BOOK-1")).to_have_value("15", timeout=20_000)
    expect(page.get_by_label("Quantity of MUG-RED")).to_have_value("15")
    lines = page.get_by_test_id("counter-line")
    expect(lines).to_have_count(2)
    expect(lines.first).to_contain_text("BOOK-1")
    expect(page.get_by_test_id("counter-scan")).to_have_value("")
    expect(page.get_by_test_id("counter-scan")).to_be_focused()
    expect(page.get_by_test_id("counter-error")).to_have_count(0)
