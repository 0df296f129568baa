"""Dutch number entry in a Dutch browser (issue 19): "50,00" typed as cash received is fifty
euros, the change reads "€ 8,22", and amounts in forms show with a decimal comma."""

import re

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from tests.support.browser import login_any_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cash_received_with_a_decimal_comma(live_server, dutch_page, make_user, shop, no_delivery):
    make_user("customer_service", username="sam")
    page = dutch_page
    login_any_language(page, live_server, "sam")
    page.goto(f"{live_server.url}/billing/counter/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.keyboard.type("8712345678906")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("counter-line")).to_have_count(1)
    page.keyboard.type("2*MUG-RED")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("counter-total")).to_have_text(re.compile(r"41,78"))
    # cash, and the clerk types 50,00 the Dutch way
    page.keyboard.press("Alt+c")
    expect(page.get_by_test_id("counter-tendered")).to_be_focused()
    page.keyboard.type("50,00")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("counter-change")).to_have_text(re.compile(r"€\s8,22$"))
    expect(page.get_by_test_id("counter-tendered")).to_have_value("50,00")
    page.get_by_test_id("counter-complete").click()
    page.wait_for_url(re.compile(r".*/billing/counter/receipt/.*"))
    expect(page.get_by_test_id("receipt-change")).to_contain_text("8,22")
    assert Invoice.objects.get().status == "paid"
